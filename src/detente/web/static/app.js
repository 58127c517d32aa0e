// detente's page: plain JavaScript on the REST API (/openapi.json), charts with plotly.js served by the app itself.
"use strict";

const state = { ref: "korea-2019", base: null, doc: null, models: [], forecast: null, selected: null, timer: null, seq: 0 };
const $ = (sel) => document.querySelector(sel);
const esc = (x) => String(x ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const num = (x, d = 1) => (x === null || x === undefined || !isFinite(x) ? "—" : Number(x).toFixed(d));

function status(text, error = false) {
  const el = $("#status");
  el.textContent = text || "";
  el.className = error ? "error" : "";
}

async function api(path, options = {}) {
  const opts = { ...options };
  if (opts.json !== undefined) {
    opts.method = opts.method || "POST";
    opts.headers = { "content-type": "application/json" };
    opts.body = JSON.stringify(opts.json);
    delete opts.json;
  }
  const r = await fetch(path, opts);
  const type = r.headers.get("content-type") || "";
  if (!r.ok) {
    let msg = `${r.status}`;
    if (type.includes("json")) msg = (await r.json()).error || msg;
    throw new Error(msg);
  }
  return type.includes("json") ? r.json() : r;
}

function table(headers, rows, numeric = []) {
  const head = headers.map((h, i) => `<th class="${numeric[i] ? "num" : ""}">${esc(h)}</th>`).join("");
  const body = rows.map((r) => "<tr>" + r.map((c, i) => `<td class="${numeric[i] ? "num" : ""}">${c}</td>`).join("") + "</tr>").join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function plot(el, data, layout) {
  const base = { margin: { l: 140, r: 20, t: 30, b: 40 }, font: { size: 12 }, legend: { orientation: "h", y: -0.15 } };
  Plotly.react(el, data, { ...base, ...layout }, { displaylogo: false, responsive: true });
}

// ---- routing ----------------------------------------------------------------------------------------------------
function route() {
  let hash = location.hash || "#/scenario";
  if (!location.hash && location.pathname.startsWith("/runs/")) hash = "#/runs/" + location.pathname.slice(6);
  const parts = hash.slice(2).split("/");
  let page = parts[0] || "scenario";
  if (page === "runs" && parts[1]) page = "run";
  document.querySelectorAll(".page").forEach((p) => p.classList.toggle("active", p.id === "page-" + page));
  document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === page || (page === "run" && a.dataset.page === "runs")));
  if (page === "run") showRun(parts[1]);
  if (page === "runs") showRuns();
  if (page === "claims") showClaims();
  if (page === "backtest") showBacktest();
  if (page === "compare") fillCompare();
  if (page === "strategy") fillStrategy();
}

// ---- scenarios -----------------------------------------------------------------------------------------------------
async function loadScenarioList(select) {
  const list = await api("/api/scenarios");
  const sel = $("#scenario-select");
  sel.innerHTML = list.library.map((s) => `<option value="${esc(s.ref)}">${esc(s.name)}</option>`).join("") +
    list.uploads.map((u) => `<option value="${esc(u.ref)}">${esc(u.name)} (uploaded ${esc(u.filename)})</option>`).join("");
  sel.value = select || state.ref;
}

async function openScenario(ref) {
  state.ref = ref;
  status(`loading ${ref}…`);
  state.doc = await api(`/api/scenarios/${encodeURIComponent(ref)}`);
  state.base = JSON.stringify(state.doc);
  state.selected = null;
  renderScenario();
  status("");
  await validateAndForecast();
}

function basisText(b) {
  if (!b) return "";
  return [b.source, b.note].filter(Boolean).join(": ");
}

function stanceOf(actor, issue) {
  return state.doc.stances.findIndex((s) => s.actor === actor && s.issue === issue);
}

function renderScenario() {
  const d = state.doc;
  $("#scenario-title").textContent = `${d.name} — ${d.title || ""}`;
  $("#scenario-description").textContent = (d.description || "").trim();
  const issues = d.issues.map((i) => i.id);
  let html = "<thead><tr><th>actor</th><th class='num'>capability</th>" +
    d.issues.map((i) => `<th title="${esc(i.name || i.id)}">${esc(i.id)}<div class="muted small">${i.scale ? `${i.scale.lower ?? 0}–${i.scale.upper ?? 100}` : "0–100"}</div></th>`).join("") + "</tr></thead><tbody>";
  d.actors.forEach((a, ai) => {
    html += `<tr><th class="actor" title="${esc(a.name || "")}">${esc(a.id)}</th>` +
      `<td data-actor-cell="${ai}"><input data-actor="${ai}" data-field="capability" value="${a.capability ?? ""}" aria-label="${esc(a.id)} capability">` +
      `<span class="src">${esc(basisText(a.capability_basis))}</span></td>`;
    issues.forEach((iid) => {
      const k = stanceOf(a.id, iid);
      if (k < 0) { html += `<td class="muted">—</td>`; return; }
      const s = d.stances[k];
      html += `<td data-stance="${k}"><span class="lbl">P</span><input data-stance="${k}" data-field="position" value="${s.position}" aria-label="${esc(a.id)} ${esc(iid)} position">` +
        ` <span class="lbl">S</span><input data-stance="${k}" data-field="salience" value="${s.salience}" aria-label="${esc(a.id)} ${esc(iid)} salience">` +
        (s.capability !== undefined && s.capability !== null ? ` <span class="lbl">C</span><input data-stance="${k}" data-field="capability" value="${s.capability}">` : "") +
        `<span class="src" title="${esc(basisText(s.position_basis))}">${esc(basisText(s.position_basis))}</span></td>`;
    });
    html += "</tr>";
  });
  $("#grid").innerHTML = html + "</tbody>";
  renderStructure();
  $("#variant-select").innerHTML = (d.variants || []).map((v) => `<option value="${esc(v.id)}" title="${esc(v.title)}">${esc(v.id)}</option>`).join("");
  $("#basis-panel").classList.remove("open");
}

function renderStructure() {
  const d = state.doc;
  const dl = (d.delegations || []).map((g, k) => [esc(g.id), `<input data-deleg="${k}" value="${esc(g.members.join(", "))}" size="60" aria-label="members of ${esc(g.id)}">`, esc(g.rule || "leader"), esc(basisText(g.basis))]);
  const vt = (d.vetoes || []).map((v, k) => [esc(v.issue), `<input data-veto="${k}" value="${esc(v.players.join(", "))}" size="40" aria-label="veto players on ${esc(v.issue)}">`, esc(v.acceptance || "ideal"), esc(basisText(v.basis))]);
  $("#structure").innerHTML = (dl.length ? table(["delegation", "members", "rule", "source"], dl) : "<p class='muted'>no delegations</p>") +
    (vt.length ? table(["issue", "veto players", "acceptance", "source"], vt) : "<p class='muted'>no veto players</p>");
}

function showBasis(k) {
  const s = state.doc.stances[k];
  state.selected = k;
  document.querySelectorAll("#grid td.sel").forEach((td) => td.classList.remove("sel"));
  const td = document.querySelector(`#grid td[data-stance="${k}"]`);
  if (td) td.classList.add("sel");
  const row = (field) => {
    const b = s[field + "_basis"] || {};
    return `<div class="basis-row"><b>${field} = ${esc(s[field] ?? "—")}</b><label>source <input type="text" class="source" data-basis="${field}" data-part="source" value="${esc(b.source || "")}"></label>` +
      `<label>note <input type="text" class="note" data-basis="${field}" data-part="note" value="${esc(b.note || "")}"></label></div>`;
  };
  const panel = $("#basis-panel");
  panel.innerHTML = `<b>${esc(s.actor)} · ${esc(s.issue)}</b> — what each number rests on (edit and it is kept in the downloaded file and the report)` +
    row("position") + row("salience") + (s.capability !== undefined && s.capability !== null ? row("capability") : "");
  panel.classList.add("open");
}

function onGridInput(ev) {
  const t = ev.target;
  if (t.tagName !== "INPUT") return;
  const v = t.value.trim() === "" ? null : Number(t.value);
  const value = v === null || Number.isNaN(v) ? t.value : v;
  if (t.dataset.stance !== undefined) state.doc.stances[+t.dataset.stance][t.dataset.field] = value;
  else if (t.dataset.actor !== undefined) state.doc.actors[+t.dataset.actor].capability = value;
  schedule();
}

function onStructureInput(ev) {
  const t = ev.target;
  const list = t.value.split(",").map((x) => x.trim()).filter(Boolean);
  if (t.dataset.deleg !== undefined) state.doc.delegations[+t.dataset.deleg].members = list;
  if (t.dataset.veto !== undefined) state.doc.vetoes[+t.dataset.veto].players = list;
  schedule();
}

function onBasisInput(ev) {
  const t = ev.target;
  if (!t.dataset.basis || state.selected === null) return;
  const s = state.doc.stances[state.selected];
  const key = t.dataset.basis + "_basis";
  s[key] = { ...(s[key] || {}) };
  s[key][t.dataset.part] = t.value || null;
  if (!s[key].source && !s[key].note && s[key].low == null) s[key] = null;
  const td = document.querySelector(`#grid td[data-stance="${state.selected}"] .src`);
  if (td && t.dataset.basis === "position") td.textContent = basisText(s[key]);
  schedule();
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(validateAndForecast, 350);
}

// the request for the edited scenario: the stored scenario with `ACTOR.ISSUE.FIELD=VALUE` edits (recorded with the run
// as the CLI's --set records them) while only numbers changed, else the whole edited document
function scenarioBody() {
  const variants = selectedVariants();
  if (!state.base) return { document: state.doc, variants };
  const base = JSON.parse(state.base);
  const d = state.doc;
  const sets = [];
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const strip = (doc) => ({ ...doc, stances: doc.stances.map((s) => ({ ...s, position: 0, salience: 0, capability: s.capability == null ? null : 0 })), actors: doc.actors.map((a) => ({ ...a, capability: 0 })) });
  if (d.stances.length !== base.stances.length || d.actors.length !== base.actors.length || !same(strip(d), strip(base))) return { document: d, variants };
  d.actors.forEach((a, k) => { if (a.capability !== base.actors[k].capability) sets.push(`${a.id}.capability=${a.capability}`); });
  d.stances.forEach((s, k) => {
    for (const f of ["position", "salience", "capability"]) {
      if (s[f] !== base.stances[k][f] && s[f] != null) sets.push(`${s.actor}.${s.issue}.${f}=${s[f]}`);
    }
  });
  if (sets.some((x) => /=[^0-9.eE+-]/.test(x) || /=$/.test(x))) return { document: d, variants };
  return { scenario: state.ref, sets, variants };
}

function structure() {
  const out = {};
  if ($("#delegations").value) out.delegations = $("#delegations").value;
  if ($("#vetoes").value) out.vetoes = $("#vetoes").value;
  return out;
}

function selectedVariants() {
  return Array.from($("#variant-select").selectedOptions).map((o) => o.value);
}

function markFindings(findings) {
  document.querySelectorAll("#grid input.bad").forEach((i) => { i.classList.remove("bad"); i.title = ""; });
  for (const f of findings) {
    const m = /^stances\[(\d+)\]\.(position|salience|capability)/.exec(f.where) || /^actors\[(\d+)\]\.(capability)/.exec(f.where);
    if (!m) continue;
    const attr = f.where.startsWith("actors") ? "data-actor" : "data-stance";
    const input = document.querySelector(`#grid input[${attr}="${m[1]}"][data-field="${m[2]}"]`);
    if (input) { input.classList.add("bad"); input.title = f.message; }
  }
}

async function validateAndForecast() {
  const seq = ++state.seq;
  const body = { document: state.doc, variants: selectedVariants() };
  const run = scenarioBody();
  let v;
  try {
    v = await api("/api/validate", { json: body });
  } catch (e) { status(e.message, true); return; }
  if (seq !== state.seq) return;
  const items = v.findings.map((f) => `<li class="${f.level}">${esc(f.level)}: ${esc(f.where)}: ${esc(f.message)}</li>`).join("");
  $("#validation").innerHTML = `<span class="${v.ok ? "ok" : "error"}">${v.ok ? "✓ valid" : "✗ invalid"}: ${esc(v.summary)}</span>` + (items ? `<ul>${items}</ul>` : "");
  markFindings(v.findings);
  if (!v.ok) { status("fix the errors marked in the grid to forecast", true); return; }
  status("forecasting with every model…");
  try {
    const fc = await api("/api/forecast", { json: { ...run, ...structure(), models: ["all"], seed: 1 } });
    if (seq !== state.seq) return;
    state.forecast = fc;
    renderForecast(fc, "#forecast-table", "forecast-chart");
    renderTrajectories();
    $("#forecast-run").innerHTML = `run <a class="permalink" id="permalink" href="#/runs/${fc.run_id}">${fc.run_id}</a> (recorded; the link reopens it)`;
    status("");
  } catch (e) { if (seq === state.seq) status(e.message, true); }
}

function renderForecast(fc, tableSel, chartId) {
  const models = fc.forecasts.map((f) => f.model);
  const issues = Object.keys(fc.scales || {}).length ? Object.keys(fc.scales) : Object.keys(fc.forecasts[0].outcomes);
  const obs = fc.observed || {};
  const hasObs = Object.keys(obs).length > 0;
  const rows = issues.map((iid) => [esc(iid), ...fc.forecasts.map((f) => `<span data-model="${esc(f.model)}" data-issue="${esc(iid)}">${num(f.outcomes[iid])}</span>`), ...(hasObs ? [num(obs[iid])] : [])]);
  let html = table(["issue", ...models, ...(hasObs ? ["observed"] : [])], rows, [false, ...models.map(() => true), true]);
  if (fc.cannot_run && fc.cannot_run.length) html += `<p class="muted small">not run: ${fc.cannot_run.map((k) => `${esc(k.model)} (${esc(k.reason)})`).join("; ")}</p>`;
  $(tableSel).innerHTML = html;
  // one row per issue, the models side by side within it (equal forecasts stay visible)
  const n = fc.forecasts.length;
  const symbols = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star", "hexagon"];
  const data = fc.forecasts.map((f, k) => ({ type: "scatter", mode: "markers", name: f.model, y: issues.map((_, j) => j + (k - (n - 1) / 2) * 0.09), x: issues.map((i) => f.outcomes[i] ?? null), text: issues, hovertemplate: `${esc(f.model)} · %{text}: %{x:.2f}<extra></extra>`, marker: { size: 9, symbol: symbols[k % symbols.length] } }));
  if (hasObs) data.push({ type: "scatter", mode: "markers", name: "observed", y: issues.map((_, j) => j), x: issues.map((i) => obs[i] ?? null), text: issues, hovertemplate: "observed · %{text}: %{x}<extra></extra>", marker: { symbol: "line-ns-open", size: 26, line: { width: 3 }, color: "#111" } });
  plot(chartId, data, { title: { text: "forecast per issue, every model (bar: observed)", font: { size: 14 } }, height: 110 + 44 * issues.length, xaxis: { title: "outcome on the issue's scale" }, yaxis: { autorange: "reversed", tickmode: "array", tickvals: issues.map((_, j) => j), ticktext: issues, zeroline: false } });
  if (tableSel === "#forecast-table") renderWhy(fc);
}

function renderTrajectories() {
  const fc = state.forecast;
  if (!fc) return;
  const sel = $("#traj-issue");
  const issues = Object.keys(fc.forecasts[0].outcomes);
  if (!sel.options.length || sel.options.length !== issues.length) sel.innerHTML = issues.map((i) => `<option>${esc(i)}</option>`).join("");
  const iid = sel.value || issues[0];
  const dynamic = fc.forecasts.filter((f) => new Set(f.trajectory.map((t) => t.round)).size > 1);
  const data = [];
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const colour = {};
  const seen = new Set();
  dynamic.forEach((f, k) => {
    const actors = [...new Set(f.trajectory.map((t) => t.actor))];
    actors.forEach((a) => {
      if (!(a in colour)) colour[a] = palette[Object.keys(colour).length % palette.length];
      const pts = f.trajectory.filter((t) => t.actor === a && t.issue === iid);
      // one colour per actor in every panel; the legend names each actor once
      data.push({ type: "scatter", mode: "lines", name: a, legendgroup: a, showlegend: !seen.has(a), line: { color: colour[a] }, x: pts.map((p) => p.round), y: pts.map((p) => p.position), xaxis: `x${k + 1}`, yaxis: `y${k + 1}`, hovertemplate: `${esc(f.model)} · ${esc(a)}<br>round %{x}: %{y:.1f}<extra></extra>` });
      seen.add(a);
    });
  });
  const n = Math.max(dynamic.length, 1);
  const layout = { grid: { rows: 1, columns: n, pattern: "independent" }, height: 360, legend: { orientation: "h", y: -0.2 }, title: { text: `positions by round on ${iid} (models with rounds)`, font: { size: 14 } }, margin: { l: 50, r: 10, t: 50, b: 40 }, annotations: dynamic.map((f, k) => ({ text: f.model, xref: `x${k + 1} domain`, yref: `y${k + 1} domain`, x: 0.5, y: 1.08, showarrow: false })) };
  plot("traj-chart", data, layout);
}

function renderWhy(fc) {
  const skip = new Set(["scenario", "scenario_hash", "model", "parameters", "seed", "version", "scales", "outcomes", "status", "converged", "rounds_run", "trajectory", "no_forecast"]);
  $("#why").innerHTML = "<h2>Why: each model's own tables</h2>" + fc.forecasts.map((f) => {
    const keys = Object.keys(f).filter((k) => !skip.has(k));
    const body = keys.map((k) => `<b>${esc(k)}</b><pre>${esc(JSON.stringify(f[k], null, 1).slice(0, 6000))}</pre>`).join("");
    const counts = {};
    Object.values(f.status).forEach((x) => { counts[x] = (counts[x] || 0) + 1; });
    const st = Object.entries(counts).map(([k, v]) => `${k} ×${v}`).join(", ");
    return `<details><summary><b>${esc(f.model)}</b>: ${esc(st)}${keys.length ? " · tables: " + esc(keys.join(", ")) : ""}</summary>${body || "<p class='muted'>no further tables</p>"}</details>`;
  }).join("");
}

// ---- compare -----------------------------------------------------------------------------------------------------
function modelOptions(sel, value) {
  sel.innerHTML = state.models.map((m) => `<option ${m.name === value ? "selected" : ""}>${esc(m.name)}</option>`).join("");
}

function fillCompare() {
  if (!state.doc) return;
  const box = $("#compare-variants");
  const vs = state.doc.variants || [];
  const pick = vs.some((v) => v.id === "step-for-step") ? "step-for-step" : vs.length ? vs[0].id : null;
  box.innerHTML = "<legend>variants</legend>" + vs.map((v) => `<label title="${esc(v.title)}"><input type="checkbox" name="variant" value="${esc(v.id)}" ${v.id === pick ? "checked" : ""}>${esc(v.id)}</label>`).join("");
}

async function runCompare(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const variants = f.getAll("variant");
  const { variants: _v, ...scen } = scenarioBody();
  const body = { ...scen, ...structure(), variants, model: f.get("model"), draws: +f.get("draws"), seed: +f.get("seed"), level: +f.get("level") };
  status("comparing on common random numbers…");
  $("#compare-run").disabled = true;
  try {
    const c = await api("/api/compare", { json: body });
    const rows = [];
    const data = [];
    for (const [vid, v] of Object.entries(c.variants)) {
      const issues = Object.keys(v.differences);
      issues.forEach((iid) => { const d = v.differences[iid]; rows.push([esc(vid), esc(iid), num(d.baseline_mean, 2), num(d.variant_mean, 2), num(d.diff_mean, 2), `[${num(d.ci_low, 2)}, ${num(d.ci_high, 2)}]`, num(d.p_up, 2), num(d.p_down, 2)]); });
      data.push({ type: "scatter", mode: "markers", name: vid, y: issues, x: issues.map((i) => v.differences[i].diff_mean), error_x: { type: "data", symmetric: false, array: issues.map((i) => v.differences[i].ci_high - v.differences[i].diff_mean), arrayminus: issues.map((i) => v.differences[i].diff_mean - v.differences[i].ci_low) }, marker: { size: 9 } });
    }
    $("#compare-table").innerHTML = `<p class="muted small">${esc(c.model)} · ${c.draws} draws · seed ${c.seed} · run <a href="#/runs/${c.run_id}">${c.run_id}</a></p>` +
      table(["variant", "issue", "baseline", "variant", "difference", `${Math.round(c.level * 100)}% interval`, "P(up)", "P(down)"], rows, [false, false, true, true, true, true, true, true]);
    plot("compare-chart", data, { title: { text: "variant − baseline, with intervals (common random numbers)", font: { size: 14 } }, height: 120 + 40 * (rows.length / Math.max(data.length, 1)), xaxis: { title: "difference", zeroline: true }, yaxis: { autorange: "reversed" } });
    status("");
  } catch (e) { status(e.message, true); }
  $("#compare-run").disabled = false;
}

// ---- jobs ---------------------------------------------------------------------------------------------------------
async function pollJob(id, boxSel, onDone) {
  const box = $(boxSel);
  for (;;) {
    let j;
    try { j = await api(`/api/jobs/${id}`); } catch (e) { box.innerHTML = `<div class="error-box">${esc(e.message)}</div>`; return; }
    box.innerHTML = `<p>job ${esc(j.id)} (${esc(j.kind)}): <b>${esc(j.status)}</b> <span class="progress"><span style="width:${Math.round(j.progress * 100)}%"></span></span> ${Math.round(j.progress * 100)}% · ${j.elapsed_s.toFixed(1)} s ` +
      (j.status === "running" ? `<button data-cancel="${esc(j.id)}">Cancel</button>` : "") + (j.run_id ? ` · run <a href="#/runs/${j.run_id}">${j.run_id}</a>` : "") + "</p>" + (j.error ? `<div class="error-box">${esc(j.error)}</div>` : "");
    if (j.status !== "running") { if (j.status === "done") onDone(j.result); return; }
    await new Promise((r) => setTimeout(r, 400));
  }
}

async function startJob(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const kind = f.get("kind");
  const body = { ...scenarioBody(), ...structure(), model: f.get("model"), draws: +f.get("draws"), seed: +f.get("seed") };
  try {
    const j = await api(`/api/jobs/${kind}`, { json: body });
    $("#job-result").innerHTML = "";
    pollJob(j.id, "#jobs", kind === "ensemble" ? showEnsemble : showSensitivity);
  } catch (e) { status(e.message, true); }
}

function showEnsemble(r) {
  const rows = r.summary_table.map((s) => [esc(s.issue), num(s.mean, 2), num(s.sd, 2), num(s.q5, 2), num(s.q50, 2), num(s.q95, 2)]);
  $("#job-result").innerHTML = `<h2>Ensemble: ${esc(r.model)}, ${r.draws} draws, seed ${r.seed}</h2>` + table(["issue", "mean", "sd", "5%", "median", "95%"], rows, [false, true, true, true, true, true]);
  const s = r.summary_table;
  plot("job-chart", [{ type: "scatter", mode: "markers", y: s.map((x) => x.issue), x: s.map((x) => x.q50), name: "median", error_x: { type: "data", symmetric: false, array: s.map((x) => x.q95 - x.q50), arrayminus: s.map((x) => x.q50 - x.q5) } }],
    { title: { text: "median and central 90% of the draws", font: { size: 14 } }, height: 120 + 36 * s.length, yaxis: { autorange: "reversed" } });
}

function showSensitivity(r) {
  const rows = r.table.slice(0, 200).map((s) => [esc(s.issue), esc(s.group), num(s.S1, 3), num(s.ST, 3)]);
  $("#job-result").innerHTML = `<h2>Sobol sensitivity: ${esc(r.model)}</h2>` + table(["issue", "group", "S1", "ST"], rows, [false, false, true, true]);
  const first = r.table.length ? r.table[0].issue : null;
  const top = r.table.filter((s) => s.issue === first).slice(0, 10).reverse();
  plot("job-chart", [{ type: "bar", orientation: "h", y: top.map((s) => s.group), x: top.map((s) => s.ST), name: "ST" }, { type: "bar", orientation: "h", y: top.map((s) => s.group), x: top.map((s) => s.S1), name: "S1" }],
    { title: { text: `tornado: what drives ${first}`, font: { size: 14 } }, height: 140 + 30 * top.length, barmode: "group", margin: { l: 220, r: 20, t: 40, b: 40 } });
}

// ---- strategy ---------------------------------------------------------------------------------------------------------
let rulesLoaded = false;
async function fillStrategy() {
  if (rulesLoaded) return;
  const rules = await api("/api/strategy/rules");
  $("#strategy-rules").innerHTML = "<legend>rules</legend>" + rules.map((r) => `<label title="${esc(r.meaning)}"><input type="checkbox" name="rule" value="${esc(r.name)}" ${["hanoi", "sfs-freeze"].includes(r.name) ? "checked" : ""}>${esc(r.name)}</label>`).join("");
  rulesLoaded = true;
}

async function runStrategy(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const grid = String(f.get("grid") || "").trim();
  const body = { ...scenarioBody(), rules: f.getAll("rule"), best_rule: f.get("best") === "on", paths: +f.get("paths"), seed: 1, grid: grid ? grid.split(",").map(Number) : null };
  try {
    const j = await api("/api/jobs/strategy", { json: body });
    pollJob(j.id, "#strategy-job", showStrategy);
  } catch (e) { status(e.message, true); }
}

function showStrategy(doc) {
  const horizon = Object.keys(doc.rules[0].metrics)[0];
  const cols = Object.keys(doc.rules[0].metrics[horizon]);
  const rows = doc.rules.map((r) => [esc(r.name), ...cols.map((c) => num(r.metrics[horizon][c], 3)), num(r.president_value, 2)]);
  let html = `<p class="muted small">${esc(horizon)} · ${esc(doc.warning)}</p>` + table(["rule", ...cols, "president's payoff"], rows, [false, ...cols.map(() => true), true]);
  if (doc.best_rule_search) html += `<p><b>president's best rule:</b> ${esc(doc.best_rule_search.best)} (payoff ${num(doc.best_rule_search.president_value, 2)}; ${doc.best_rule_search.rules_evaluated} rules evaluated)</p>`;
  $("#strategy-result").innerHTML = `<div class="grid-wrap">${html}</div>`;
  // the probabilities (shares of outcomes) on one chart; counts such as test days or warheads stay in the table
  const shares = cols.filter((c) => !c.startsWith("expected") && doc.rules.every((r) => r.metrics[horizon][c] >= 0 && r.metrics[horizon][c] <= 1));
  plot("strategy-chart", shares.map((c) => ({ type: "bar", name: c, x: doc.rules.map((r) => r.name), y: doc.rules.map((r) => r.metrics[horizon][c]) })), { title: { text: `probabilities by rule (${horizon})`, font: { size: 14 } }, barmode: "group", height: 380, yaxis: { range: [0, 1], title: "probability" }, margin: { l: 60, r: 20, t: 40, b: 60 } });
}

// ---- claims, back-test, runs -----------------------------------------------------------------------------------------
async function showClaims() {
  const box = $("#claims");
  box.innerHTML = "<p class='muted'>loading…</p>";
  try {
    const ref = encodeURIComponent(state.ref.startsWith("upload:") ? "korea-2019" : state.ref);
    const doc = await api(`/api/claims?scenario=${ref}`);
    const rows = (doc.claims || []).map((c) => Object.entries(c).filter(([, v]) => typeof v !== "object").slice(0, 8));
    box.innerHTML = rows.length ? table(rows[0].map(([k]) => k), rows.map((r) => r.map(([, v]) => esc(typeof v === "number" ? v.toFixed(3) : v)))) : `<pre>${esc(JSON.stringify(doc, null, 1).slice(0, 20000))}</pre>`;
    try {  // the scorecard's own page, with its charts and tipping points, where this version draws it
      const page = await (await api(`/api/claims/page?scenario=${ref}`)).text();
      const frame = document.createElement("iframe");
      frame.className = "claims-page";
      frame.srcdoc = page;
      box.prepend(frame);
    } catch (e) { /* the table above stands alone */ }
  } catch (e) {
    box.innerHTML = `<p class="notice" id="claims-unavailable">${esc(e.message)}</p>`;
  }
}

async function showBacktest() {
  const box = $("#backtest");
  if (box.dataset.done) return;
  box.innerHTML = "<p class='muted'>back-testing every model…</p>";
  try {
    const doc = await api("/api/backtest");
    const lb = doc.leaderboard;
    box.innerHTML = table(["rank", "model", "MAE % of scale", "median AE %", "issues", "wins", "beats baseline", "in range"], lb.map((r) => [r.rank, esc(r.model), num(r.mae_pct, 1), num(r.median_ae_pct, 1), r.issues, r.wins == null ? "—" : num(r.wins, 2), r.beats_baseline ?? "—", `${r.in_range ?? "—"}/${r.with_range ?? "—"}`]), [true, false, true, true, true, true, true, true]);
    plot("backtest-chart", [{ type: "bar", orientation: "h", y: lb.map((r) => r.model), x: lb.map((r) => r.mae_pct), marker: { color: lb.map((r) => (r.model === "baseline" ? "#999" : "#2458a6")) } }], { title: { text: "mean absolute error, % of the issue's scale (lower is better)", font: { size: 14 } }, height: 120 + 30 * lb.length, yaxis: { autorange: "reversed" } });
    box.dataset.done = "1";
  } catch (e) { box.innerHTML = `<p class="error-box">${esc(e.message)}</p>`; }
}

async function showRuns() {
  const runs = await api("/api/runs?limit=200");
  const rows = runs.map((r) => [`<input type="checkbox" name="diff" value="${esc(r.id)}">`, `<a href="#/runs/${esc(r.id)}">${esc(r.id)}</a>`, esc(r.created.slice(0, 19).replace("T", " ")), esc(r.kind), esc(r.scenario), esc(r.model), r.seed ?? "", num(r.duration_s, 2), r.edits.length, `<button data-delete="${esc(r.id)}">Delete</button>`]);
  $("#runs").innerHTML = `<p><button id="diff-runs">Compare the two ticked runs</button></p>` + table(["", "id", "created (UTC)", "kind", "scenario", "model", "seed", "seconds", "edits", ""], rows, [false, false, false, false, false, false, true, true, true, false]);
}

async function diffRuns() {
  const ids = Array.from(document.querySelectorAll("input[name=diff]:checked")).map((i) => i.value);
  if (ids.length !== 2) { status("tick two runs to compare them", true); return; }
  const d = await api(`/api/runs/${ids[0]}/diff/${ids[1]}`);
  $("#runs-diff").innerHTML = `<h2>${esc(d.first)} against ${esc(d.second)}</h2>` +
    table(["setting", "first", "second"], d.settings.map((s) => [esc(s.field), esc(JSON.stringify(s.first)).slice(0, 200), esc(JSON.stringify(s.second)).slice(0, 200)])) +
    table(["model", "issue", "first", "second", "second − first"], d.outcomes.map((o) => [esc(o.model), esc(o.issue), num(o.first, 3), num(o.second, 3), num(o.difference, 3)]), [false, false, true, true, true]);
}

async function showRun(id) {
  $("#run-title").textContent = `Run ${id}`;
  $("#run-table").innerHTML = ""; $("#run-meta").innerHTML = "";
  try {
    const r = await api(`/api/runs/${encodeURIComponent(id)}`);
    $("#run-meta").innerHTML = table(["kind", "created", "scenario", "hash", "model", "seed", "version", "seconds", "edits"],
      [[esc(r.kind), esc(r.created), esc(r.scenario), esc(r.scenario_hash), esc(r.model).slice(0, 120), r.seed ?? "", esc(r.version), num(r.duration_s, 2), esc(r.edits.map((e) => e.set || e.variant || JSON.stringify(e)).join("; "))]]) +
      `<p><button id="run-open">Open this run's scenario in the editor</button></p>`;
    $("#run-open").onclick = () => { state.doc = r.scenario_content; state.base = null; renderScenario(); location.hash = "#/scenario"; validateAndForecast(); };
    if (r.kind === "forecast") renderForecast(r.results, "#run-table", "run-chart");
    else $("#run-table").innerHTML = `<details open><summary>results</summary><pre>${esc(JSON.stringify(r.results, null, 1).slice(0, 30000))}</pre></details>`;
  } catch (e) { $("#run-meta").innerHTML = `<p class="error-box">${esc(e.message)}</p>`; }
}

// ---- downloads ----------------------------------------------------------------------------------------------------------
async function saveBlob(path, body, fallback) {
  try {
    const r = await api(path, { json: body });
    const blob = await r.blob();
    const name = (/filename="([^"]+)"/.exec(r.headers.get("content-disposition") || "") || [])[1] || fallback;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    status(`downloaded ${name}`);
  } catch (e) { status(e.message, true); }
}

async function main() {
  $("#grid").addEventListener("input", onGridInput);
  $("#grid").addEventListener("click", (ev) => { const td = ev.target.closest("td[data-stance]"); if (td) showBasis(+td.dataset.stance); });
  $("#structure").addEventListener("input", onStructureInput);
  $("#basis-panel").addEventListener("input", onBasisInput);
  $("#variant-select").addEventListener("change", schedule);
  $("#delegations").addEventListener("change", schedule);
  $("#vetoes").addEventListener("change", schedule);
  $("#traj-issue").addEventListener("change", renderTrajectories);
  $("#compare-form").addEventListener("submit", runCompare);
  $("#job-form").addEventListener("submit", startJob);
  $("#strategy-form").addEventListener("submit", runStrategy);
  document.body.addEventListener("click", async (ev) => {
    const t = ev.target;
    if (t.dataset.cancel) await api(`/api/jobs/${t.dataset.cancel}`, { method: "DELETE" });
    if (t.dataset.delete) { await api(`/api/runs/${t.dataset.delete}`, { method: "DELETE" }); showRuns(); }
    if (t.id === "diff-runs") diffRuns().catch((e) => status(e.message, true));
  });
  $("#scenario-select").addEventListener("change", (ev) => openScenario(ev.target.value).catch((e) => status(e.message, true)));
  $("#upload").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    try {
      const up = await api("/api/scenarios", { method: "POST", body: form });
      await loadScenarioList(up.ref);
      await openScenario(up.ref);
    } catch (e) { status(e.message, true); }
  });
  $("#download").addEventListener("click", () => saveBlob(`/api/download?format=${$("#download-format").value}`, { document: state.doc }, "scenario"));
  $("#report").addEventListener("click", () => saveBlob("/api/report", { ...scenarioBody(), ...structure(), models: ["all"], seed: 1 }, "report.html"));
  window.addEventListener("hashchange", route);
  try {
    state.models = await api("/api/models");
    modelOptions($("#compare-model"), "compromise");
    modelOptions($("#job-model"), "compromise");
    await loadScenarioList();
    route();
    await openScenario(state.ref);
  } catch (e) { status(e.message, true); }
}

main();
