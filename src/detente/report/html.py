"""One self-contained HTML report of a scenario: its issues, actors and stances with the source of every number,
delegations and veto players, every model's forecast side by side with the observed outcome, the charts (inline SVG:
the same matplotlib figures as ``detente plot``), the claims scorecard where this version has one, and provenance.

The file needs nothing else (no script, no web font, no network): it opens offline and prints on A4 or Letter (a
print style sheet keeps tables and charts whole). The same scenario, models and seed give the same bytes.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Sequence
from typing import Any

_CSS = """
:root { --ink:#1d2430; --muted:#5b6575; --rule:#d5dae1; --band:#f3f5f8; --accent:#2458a6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto;
       max-width: 1100px; padding: 24px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 2px solid var(--rule);
padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
p.lead { color: var(--muted); margin: 0 0 10px; max-width: 900px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 12.5px; }
th, td { border: 1px solid var(--rule); padding: 3px 6px; vertical-align: top; text-align: left; }
th { background: var(--band); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.src { color: var(--muted); font-size: 11.5px; }
.note { color: var(--muted); font-size: 12px; }
figure { margin: 10px 0 18px; } figure svg { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 12px; }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 12.5px; }
dl.prov dt { font-weight: 600; } dl.prov dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
a { color: var(--accent); }
@media print {
  @page { size: auto; margin: 14mm 12mm; }
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; } table, figure, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; } a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 9px; }
}
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _n(x: Any, digits: int = 1) -> str:
    if x is None:
        return "—"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return _e(x)
    return "—" if not math.isfinite(v) else f"{v:.{digits}f}"


def _svg(fig: Any) -> str:
    """A matplotlib Figure as inline SVG (fixed ids and no date: the same figure gives the same text)."""
    from matplotlib import rc_context

    buf = io.StringIO()
    with rc_context({"svg.hashsalt": "detente", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _basis(b: Any, sources: dict[str, Any]) -> str:
    if b is None:
        return ""
    parts = []
    if b.source:
        src = sources.get(b.source)
        label = _e(b.source)
        if src is not None and src.url:
            label = f'<a href="{_e(src.url)}">{label}</a>'
        parts.append(label)
    if b.note:
        parts.append(_e(b.note))
    if b.low is not None and b.high is not None:
        parts.append(f"plausible {b.low:g}–{b.high:g}")
    return "; ".join(parts)


def forecasts(
    scenario: Any,
    models: Sequence[str] | None = None,
    seed: int | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
) -> tuple[list[Any], list]:
    """Every named model (default all) that can run the scenario, and the others with the reason."""
    from detente.models.base import available, runnable
    from detente.scenario.arrays import to_arrays

    names = list(available()) if not models or list(models) == ["all"] else list(models)
    arrays = to_arrays(scenario)
    ok, skipped = runnable(arrays, names, need_one=False)
    return [m.solve(arrays, seed=seed, delegations=delegations, vetoes=vetoes) for _, m in ok], skipped


def _outcomes_figure(scenario: Any, fcs: list[Any]) -> Any:
    """Each issue's forecast by every model (one marker per model) on the issue's scale, with the observed outcome."""
    from matplotlib.figure import Figure

    from detente.report.colors import OBSERVED_COLOR

    issues = [i for i in scenario.issues]
    fig = Figure(figsize=(9.5, 0.45 * len(issues) + 1.4), layout="constrained")
    ax = fig.subplots()
    markers = "osD^vP*Xh<>"
    for k, fc in enumerate(fcs):
        ys, xs = [], []
        for y, issue in enumerate(issues):
            if issue.id in fc.issues:
                x = float(fc.outcomes[0, fc.issues.index(issue.id)])
                lo, hi = issue.scale.lower, issue.scale.upper
                if math.isfinite(x):
                    xs.append(100 * (x - lo) / (hi - lo) if hi > lo else 50.0)
                    ys.append(y + (k - (len(fcs) - 1) / 2) * 0.08)
        ax.plot(xs, ys, markers[k % len(markers)], ms=6, label=fc.model, alpha=0.85)
    obs_x, obs_y = [], []
    for y, issue in enumerate(issues):
        if issue.id in scenario.observed:
            lo, hi = issue.scale.lower, issue.scale.upper
            obs_x.append(100 * (scenario.observed[issue.id] - lo) / (hi - lo) if hi > lo else 50.0)
            obs_y.append(y)
    if obs_x:
        ax.plot(obs_x, obs_y, "|", ms=18, mew=2.5, color=OBSERVED_COLOR, label="observed")
    ax.set_yticks(range(len(issues)), [i.id for i in issues])
    ax.set_ylim(len(issues) - 0.5, -0.5)
    ax.set_xlim(-2, 102)
    ax.set_xlabel("forecast, as % of each issue's scale (lower → upper end)")
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside right upper", fontsize="small", frameon=False)
    return fig


def report_html(
    scenario: Any,
    *,
    models: Sequence[str] | None = None,
    seed: int | None = None,
    trajectories: Sequence[str] = ("expected-utility",),
    delegations: str | None = None,
    vetoes: str | None = None,
) -> str:
    """The report of ``scenario`` (a Scenario, edits applied) as one HTML document.

    Parameters
    ----------
    scenario : Scenario
    models : sequence of str, optional
        The models side by side (default: every model that can run it).
    seed : int, optional
        For the models that draw random numbers.
    trajectories : sequence of str
        Models whose positions by round are drawn (those among the forecasts).
    delegations, vetoes : str, optional
        The two-level structure (``"collapse"``/``"separate"``, ``"on"``/``"off"``; default the scenario's).
    """
    from detente import __version__
    from detente.report.trajectory import positions_figure
    from detente.scenario.arrays import scenario_hash
    from detente.whatif import edits_of

    s = scenario
    fcs, skipped = forecasts(s, models, seed, delegations, vetoes)
    sources = {src.id: src for src in s.sources}
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(s.name)} — detente report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(s.title or s.name)}</h1>",
        *(f'<p class="lead">{_e(" ".join(par.split()))}</p>' for par in (s.description or "").strip().split("\n\n")
          if par.strip()),
    ]
    # ---- forecasts --------------------------------------------------------------------------------------------
    out.append("<h2>Forecasts, every model side by side</h2>")
    if fcs:
        head = "".join(f'<th class="num">{_e(fc.model)}</th>' for fc in fcs)
        has_obs = bool(s.observed)
        out.append(f"<table><thead><tr><th>issue</th><th>scale</th>{head}"
                   + ('<th class="num">observed</th>' if has_obs else "") + "</tr></thead><tbody>")
        for issue in s.issues:
            cells = []
            for fc in fcs:
                if issue.id not in fc.issues:
                    cells.append('<td class="num">—</td>')
                    continue
                j = fc.issues.index(issue.id)
                x = float(fc.outcomes[0, j])
                label = issue.scale.nearest_label(x) if math.isfinite(x) else ""
                cells.append(f'<td class="num" title="{_e(label)}">{_n(x)}</td>')
            obs = f'<td class="num">{_n(s.observed.get(issue.id))}</td>' if has_obs else ""
            out.append(f"<tr><td>{_e(issue.id)}</td><td>{issue.scale.lower:g}–{issue.scale.upper:g}</td>"
                       f"{''.join(cells)}{obs}</tr>")
        if has_obs:
            errs = []
            for fc in fcs:
                d = [abs(float(fc.outcomes[0, fc.issues.index(i)]) - v) for i, v in s.observed.items()
                     if i in fc.issues and math.isfinite(float(fc.outcomes[0, fc.issues.index(i)]))]
                errs.append(f'<td class="num">{_n(sum(d) / len(d)) if d else "—"}</td>')
            out.append(f"<tr><td><i>mean |error|</i></td><td></td>{''.join(errs)}<td></td></tr>")
        out.append("</tbody></table>")
        out.append(f"<figure>{_svg(_outcomes_figure(s, fcs))}<figcaption>Each model's forecast per issue; the bar "
                   "marks the observed outcome where one is known.</figcaption></figure>")
    if skipped:
        out.append('<p class="note">Not run: ' + "; ".join(f"{_e(k['model'])} ({_e(k['reason'])})" for k in skipped)
                   + "</p>")
    for fc in fcs:
        if fc.model in trajectories:
            out.append(f"<h3>{_e(fc.model)}: positions by round</h3>")
            out.append(f"<figure>{_svg(positions_figure(fc, s))}<figcaption>Each actor's position by round "
                       f"({_e(fc.model)}), as <code>detente plot</code> draws it.</figcaption></figure>")
    # ---- the scenario -----------------------------------------------------------------------------------------
    out.append("<h2>Issues</h2><table><thead><tr><th>issue</th><th>scale</th><th>status quo</th>"
               "<th>labelled points</th></tr></thead><tbody>")
    for i in s.issues:
        pts = "; ".join(f"{p.value:g} {_e(p.label)}" for p in i.scale.points)
        sq = "" if i.status_quo is None else f"{i.status_quo:g}"
        out.append(f"<tr><td><b>{_e(i.id)}</b><br><span class='src'>{_e(i.name or '')}</span></td>"
                   f"<td>{i.scale.lower:g}–{i.scale.upper:g}</td><td>{sq}<div class='src'>"
                   f"{_basis(i.status_quo_basis, sources)}</div></td><td>{pts}</td></tr>")
    out.append("</tbody></table>")
    out.append("<h2>Actors</h2><table><thead><tr><th>actor</th><th>name</th><th class='num'>capability</th>"
               "<th>source</th></tr></thead><tbody>")
    for a in s.actors:
        out.append(f"<tr><td>{_e(a.id)}</td><td>{_e(a.name or '')}</td><td class='num'>{a.capability:g}</td>"
                   f"<td class='src'>{_basis(a.capability_basis, sources)}</td></tr>")
    out.append("</tbody></table>")
    out.append("<h2>Stances: position (salience) and what each number rests on</h2>")
    out.append("<table><thead><tr><th>actor</th><th>issue</th><th class='num'>position</th><th>position: source</th>"
               "<th class='num'>salience</th><th>salience: source</th></tr></thead><tbody>")
    for st in s.stances:
        out.append(f"<tr><td>{_e(st.actor)}</td><td>{_e(st.issue)}</td><td class='num'>{st.position:g}</td>"
                   f"<td class='src'>{_basis(st.position_basis, sources)}</td><td class='num'>{st.salience:g}</td>"
                   f"<td class='src'>{_basis(st.salience_basis, sources)}</td></tr>")
    out.append("</tbody></table>")
    if s.delegations or s.vetoes:
        out.append("<h2>Delegations and veto players</h2><table><thead><tr><th>kind</th><th>id / issue</th>"
                   "<th>members / players</th><th>rule</th><th>source</th></tr></thead><tbody>")
        for d in s.delegations:
            out.append(f"<tr><td>delegation</td><td>{_e(d.id)}</td><td>{_e(', '.join(d.members))}</td>"
                       f"<td>{_e(d.rule)}</td><td class='src'>{_basis(d.basis, sources)}</td></tr>")
        for v in s.vetoes:
            out.append(f"<tr><td>veto</td><td>{_e(v.issue)}</td><td>{_e(', '.join(v.players))}</td>"
                       f"<td>{_e(v.acceptance)}</td><td class='src'>{_basis(v.basis, sources)}</td></tr>")
        out.append("</tbody></table>")
    if s.sources:
        out.append("<h2>Sources</h2><table><thead><tr><th>id</th><th>kind</th><th>citation</th></tr></thead><tbody>")
        for src in s.sources:
            cite = _e(src.citation)
            if src.url:
                cite = f'<a href="{_e(src.url)}">{cite}</a>'
            quote = f"<div class='src'>“{_e(src.quote)}”</div>" if src.quote else ""
            out.append(f"<tr><td>{_e(src.id)}</td><td>{_e(src.kind)}</td><td>{cite}{quote}</td></tr>")
        out.append("</tbody></table>")
    # ---- claims -------------------------------------------------------------------------------------------------
    out.append("<h2>Claims scorecard</h2>")
    out.append(_claims_section(s))
    # ---- provenance -------------------------------------------------------------------------------------------
    out.append("<h2>Provenance</h2><dl class='prov'>")
    prov = [("scenario", s.name), ("scenario hash", scenario_hash(s)), ("detente version", __version__),
            ("seed", "none" if seed is None else str(seed))]
    if fcs and fcs[0].output("structure"):
        st = fcs[0].output("structure")
        prov.append(("two-level structure", f"delegations {st.get('delegations')}, vetoes {st.get('vetoes')}"))
    edits = edits_of(s)
    if edits:
        prov.append(("what-if edits", "; ".join(e.get("set") or e.get("variant") or str(e) for e in edits)))
    for fc in fcs:
        params = ", ".join(f"{k}={v!r}" for k, v in fc.parameters.items()) or "defaults"
        prov.append((f"model {fc.model}", params))
    out.extend(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in prov)
    out.append("</dl></body></html>")
    return "\n".join(out) + "\n"


def _claims_section(s: Any) -> str:
    """The scorecard's own page (its charts inline) where this version has one, else a line saying why not."""
    import re

    from detente.errors import DetenteError
    from detente.web.claims import NOT_AVAILABLE, available, document, page

    if not available():
        return f"<p class='note'>{_e(NOT_AVAILABLE[0].upper() + NOT_AVAILABLE[1:])}.</p>"
    try:
        doc = document(s)
    except DetenteError as e:
        return f"<p class='note'>{_e(str(e))}</p>"
    html_page = page(doc)
    if html_page is not None:
        body = re.search(r"<body[^>]*>(.*)</body>", html_page, re.S)
        style = re.search(r"<style[^>]*>(.*?)</style>", html_page, re.S)
        if body is not None:
            # its own rules, less those for the whole page (body, h1), which the report sets
            css = re.sub(r"(^|\})\s*(body|h1)\s*\{[^}]*\}", r"\1", style.group(1)) if style else ""
            return f"<section class='claims'><style>{css}</style>{body.group(1)}</section>"
    rows = doc.get("claims") if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not rows:
        return "<p class='note'>This scenario states no claims.</p>"
    keys = [k for k in rows[0] if not isinstance(rows[0][k], (dict, list))][:8]
    head = "".join(f"<th>{_e(k)}</th>" for k in keys)
    body_rows = "".join("<tr>" + "".join(f"<td>{_e(r.get(k))}</td>" for k in keys) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body_rows}</tbody></table>"
