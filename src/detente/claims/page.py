"""The scorecard page: per claim a verdict, one sentence generated from the numbers, the assumptions it rests on,
one chart, a "why" line, the stakeholder models' line, what it cannot test, and a glossary; as text, HTML (one
self-contained file with inline SVG charts) or PNG (matplotlib's object API).

Every number in a sentence is a rounded value of the JSON document (shares to the nearest 5 %, probabilities to
whole percentage points, tipping points to two significant figures); no sentence is written by hand.
"""

from __future__ import annotations

import html
import io
import textwrap
from typing import Any

from detente.claims.verdict import DEPENDS, FAILS, HOLDS, OTHER_WAY, SENSITIVE, SEVERAL, SMALL

GLOSSARY: dict[str, str] = {
    "plausible assumptions": "the ranges of values the team judged credible for each uncertain input; 'holds in 80 % "
    "of plausible assumptions' means 80 % of that range, not an 80 % chance",
    "tipping point": "the value of an assumption where the verdict flips",
    "minimum effect": "the smallest difference counted as meaningful, chosen before running and shown on the page",
    "CVID": "complete, verifiable and irreversible denuclearization: weapons, material and long-range missiles removed",
    "verified freeze": "Yongbyon's production of bomb fuel shut down under international monitoring",
    "moratorium": "no nuclear tests and no long-range missile or satellite launches (since April 2018)",
    "relief tranche": "a part of sanctions relief paid for one step",
    "all-or-nothing": "no sanctions relief before complete denuclearization (the US 'big deal' paper at Hanoi)",
    "step-for-step": "relief paid step by step for verified steps",
    "audience cost": "the political price a leader pays at home for backing down from a public threat",
    "missile defence (GBI)": "interceptors at Fort Greely, Alaska, and in California that defend US territory",
    "stakeholder models": "detente's models that forecast the outcome from actors' positions, weights and priorities",
    "premise-driven": "a what-if that builds the claim into its inputs, so its result is not a test",
}
ALWAYS = ("plausible assumptions", "minimum effect", "tipping point", "stakeholder models", "premise-driven")
BADGE = {HOLDS: "#1b7837", FAILS: "#b2182b", SMALL: "#c27c0e", DEPENDS: "#2166ac", SEVERAL: "#5e5e5e"}
RULE_COLOURS = ("#0072B2", "#E69F00")  # Okabe-Ito blue and orange (colour-blind safe)
PROB_UNITS = ("probability",)


def pct5(x: float) -> str:
    return f"{int(round(x * 20)) * 5} %"


def pct(x: float) -> str:
    return f"{x * 100:.0f} %"


def sig2(x: float) -> str:
    if x == 0:
        return "0"
    return f"{float(f'{x:.2g}'):g}"


def _amount(h: dict[str, Any], x: float) -> str:
    plain = h["plain"]
    if plain.startswith("chance"):
        return f"{x * 100:.0f} percentage points"
    if "warheads" in plain:
        return f"{sig2(x)} warheads"
    if "test days" in plain:
        return f"{sig2(x)} test days"
    if "months" in plain:
        return f"{sig2(x)} months of complete disarmament"
    return sig2(x)


def _value(h: dict[str, Any], x: float) -> str:
    return f"{x * 100:.0f} %" if h["plain"].startswith("chance") else sig2(x)


def rests_on(dyn: dict[str, Any]) -> list[str]:
    """The groups of assumptions that move the claim's margin most (total Sobol index of the margin)."""
    out = []
    for e in sorted(dyn["sobol"], key=lambda e: (-e["ST_margin"], e["group"]))[:3]:
        share = min(1.0, max(e["ST_margin"], 0.0))
        if share < 0.05:
            continue
        out.append(f"{e['group']} (about {pct5(share)} of the variation in the result)")
    return out


def sentence(c: dict[str, Any]) -> str:
    """The headline sentence from the numbers."""
    dyn = c.get("dynamic")
    title = c["title"]
    if dyn is None:
        rec = c.get("record")
        if rec and rec.get("counts"):
            a, b = rec["counts"]
            return (f"{title}: {rec['verdict']}: {a} North Korean test days in {rec['windows'][0][0]} to "
                    f"{rec['windows'][0][1]} against {b} in {rec['windows'][1][0]} to {rec['windows'][1][1]}.")
        return f"{title}: {c['verdict']}."
    prim = [h for h in dyn["hypotheses"] if h["role"] == "primary"]
    h0 = prim[0]
    cat, S = dyn["category"], dyn["S"]
    most = "many" if OTHER_WAY in dyn["notes"] else "most"
    if cat == HOLDS:
        if h0["kind"] == "level":
            s = (f"{title}: holds under {most} plausible assumptions. In about {pct5(S)} of them, the "
                 f"{h0['plain']} stays below {_value(h0, h0['threshold'])}.")
        else:
            s = (f"{title}: holds under {most} plausible assumptions. In about {pct5(S)} of them, the "
                 f"{h0['plain']} moves the claimed way by at least {_amount(h0, h0['min_effect'])}.")
    elif cat == FAILS:
        how = ("in none of them" if S == 0 else "in almost none of them (fewer than 1 in 20)" if S < 0.025
               else f"in only about {pct5(S)} of them")
        s = f"{title}: fails under {most} plausible assumptions. It holds {how}."
    elif cat == SMALL:
        s = (f"{title}: points the way the article says in about {pct5(dyn['S_sign'])} of plausible cases, but "
             f"the effect is usually smaller than {_amount(h0, h0['min_effect'] or 0)}, the least that would "
             "matter.")
    elif cat == DEPENDS:
        tp = next(t for t in dyn["tipping"] if len(t["roots"]) == 1)
        rt = tp["roots"][0]
        side = rt["share_above"] if rt["holds_if"] == "above" else 1 - rt["share_above"]
        s = (f"{title}: depends on the {tp['plain']}. It holds when it is {rt['holds_if']} about "
             f"{sig2(rt['value'])} and fails otherwise; about {pct5(side)} of the plausible range lies on the "
             "holding side.")
    else:
        chief = [e["group"] for e in dyn["sobol"][:2] if max(e["ST_holds"], e["ST_margin"]) > 0.05]
        s = (f"{title}: depends on several assumptions" + (", chiefly " + " and ".join(chief) if chief else "")
             + f". It holds in about {pct5(S)} of plausible cases.")
    for n in dyn["notes"]:
        if n.startswith("holds, but"):
            s = s.rstrip(".") + ", but not for the reason the article gives."
        elif n.startswith("but raises"):
            s = s.rstrip(".") + f", {n}."
    if OTHER_WAY in dyn["notes"]:
        s = s.rstrip(".") + f" ({OTHER_WAY})."
    if any(n.startswith("borderline") for n in dyn["notes"]):
        s += f" The estimate is uncertain: between {pct5(dyn['S_lo'])} and {pct5(dyn['S_hi'])}."
    return s


def why(c: dict[str, Any]) -> str:
    dyn = c.get("dynamic")
    if dyn is None:
        rec = c.get("record") or {}
        if rec.get("ratio") is not None:
            return (f"Why: the rate of test days was {sig2(rec['ratio'])} times as high in the second window "
                    f"(exact 90 % range {sig2(rec['ci90'][0])} to {sig2(rec['ci90'][1]) if rec['ci90'][1] else 'no limit'}).")
        if c.get("static"):
            return ("Why: only the stakeholder models speak to this claim; a what-if that edits the measured issue "
                    "builds the claim in, and one they cannot link to the issue changes nothing.")
        return "Why: no model evidence for this claim."
    h0 = next(h for h in dyn["hypotheses"] if h["role"] == "primary")
    va, vb = dyn["chart"]["central_values"]
    if vb is None:
        out = (f"Why: at central assumptions the {h0['plain']} is {_value(h0, va)}, against a threshold of "
               f"{_value(h0, h0['threshold'])}.")
    else:
        out = (f"Why: at central assumptions the {h0['plain']} is {_value(h0, va)} with the article's choice "
               f"and {_value(h0, vb)} without it.")
    tips = [t for t in dyn["tipping"] if t["roots"]]
    if tips:
        t = tips[0]
        rt = t["roots"][0]
        out += f" It flips when the {t['plain']} crosses about {sig2(rt['value'])} ({t['unit']})."
    elif dyn["tipping"]:
        out += f" No tipping point in the plausible range of the {dyn['tipping'][0]['plain']}."
    return out


def static_line(c: dict[str, Any]) -> str:
    rows = c.get("static") or []
    if not rows:
        return "Stakeholder models: not asked."
    groups: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        if "mean_diff" not in r:
            continue
        words = ("built into the what-if" if "premise-driven" in r["flags"] else
                 "cannot link the change to this issue" if "not representable" in r["flags"] else
                 f"the claimed direction by at least {sig2(r['min_effect'])} points in {pct5(r['S_static'])} "
                 "of draws")
        groups.setdefault((f"{r['variant']} on {r['issue']}", words), []).append(r["model"])
    parts = [f"{what} ({', '.join(models)}): {words}" for (what, words), models in groups.items()]
    line = "Stakeholder models (separate evidence, never pooled): " + "; ".join(parts) + "."
    if (c.get("static_summary") or {}).get("all_premise_driven"):
        line += " The what-if builds the claim in; not a test."
    return line


def minimum_line(c: dict[str, Any]) -> str | None:
    """How the share moves when the minimum effect is halved or doubled (same draws, no new solve)."""
    dyn = c.get("dynamic")
    if dyn is None:
        return None
    line = (f"Minimum effect: the claim holds in about {pct5(dyn['S'])} of plausible cases as set, "
            f"{pct5(dyn['S_half_delta'])} with half of it and {pct5(dyn['S_double_delta'])} with double.")
    if SENSITIVE in dyn["notes"]:
        line += " The verdict is sensitive to what counts as a meaningful effect."
    return line


def cannot_line(c: dict[str, Any]) -> str:
    items = c["cannot_test"]
    more = f" (+{len(items) - 1} more)" if len(items) > 1 else ""
    return f"Cannot test: {items[0]}{more}."


def assumptions_line(c: dict[str, Any]) -> str:
    dyn = c.get("dynamic")
    if dyn is None:
        if c.get("static"):
            return "This rests on: the stakeholder models' inputs and their plausible ranges."
        return "This rests on: the shipped record only."
    r = rests_on(dyn)
    return "This rests on: " + ("; ".join(r) if r else "no single group of assumptions") + "."


def blocks(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for c in doc["claims"]:
        out.append(
            {
                "id": c["id"],
                "title": c["title"],
                "quote": c["quote"],
                "verdict": c["verdict"],
                "category": (c.get("dynamic") or {}).get("category", SEVERAL),
                "sentence": sentence(c),
                "rests_on": assumptions_line(c),
                "why": why(c),
                "static": static_line(c),
                "minimum": minimum_line(c),
                "cannot": cannot_line(c),
                "record": _record_line(c),
                "fact_checks": [f"Fact check: {f['text']}: {f['correction']}." for f in c["fact_checks"]],
                "premise": c.get("premise_note"),
            }
        )
    return out


def _record_line(c: dict[str, Any]) -> str | None:
    rec = c.get("record")
    if not rec:
        return None
    if rec.get("counts") is None:
        return f"The record: {rec['verdict']}."
    a, b = rec["counts"]
    return (f"The record ({rec['plain']}): {rec['verdict']}: {a} test days against {b}"
            + (f", rate ratio {sig2(rec['ratio'])}" if rec.get("ratio") else "") + ".")


def glossary(doc: dict[str, Any]) -> list[tuple[str, str]]:
    terms = list(ALWAYS)
    for c in doc["claims"]:
        for t in c.get("glossary_terms", []):
            if t not in terms and t in GLOSSARY:
                terms.append(t)
    return [(t, GLOSSARY[t]) for t in terms]


def method_line(doc: dict[str, Any]) -> str:
    cfg = doc["config"]
    if not doc.get("dynamic", True):
        return (
            "This scenario has no dynamic model: each claim is tested with the stakeholder models on what-if "
            "variants, over the plausible ranges of their inputs (common random draws); shares are the part of "
            "those draws where the claim holds by at least its minimum effect."
        )
    return (
        "Each claim is tested on a model of the negotiation (the staged-disarmament game, docs/strategy.md) under "
        "the range of assumptions the team judged plausible; the share is the part of that range where the claim "
        "holds by at least its minimum effect. Numbers are exact model expectations, not simulations; the only "
        f"uncertainty shown is from sampling {cfg['replicates']} independent sets of assumptions per claim."
    )


def text(doc: dict[str, Any], width: int = 100) -> str:
    """The scorecard as plain text, every line at most ``width`` characters."""
    w = textwrap.TextWrapper(width=width, subsequent_indent="  ")
    title = textwrap.wrap(doc.get("title") or doc["scenario"], width)
    lines = [*title, "=" * max(len(t) for t in title), ""]
    lines += w.wrap(method_line(doc)) + [""]
    for b in blocks(doc):
        lines += w.wrap(f"{b['id']}  {b['title']}")
        lines += w.wrap(f"Quote: “{b['quote']}”")
        lines += w.wrap(f"Verdict: {b['verdict']}")
        for key in ("sentence", "rests_on", "why", "static", "minimum", "record", "cannot"):
            if b[key]:
                lines += w.wrap(b[key])
        for f in b["fact_checks"]:
            lines += w.wrap(f)
        if b["premise"]:
            lines += w.wrap("Note: " + b["premise"])
        lines.append("")
    lines.append("Glossary")
    for t, d in glossary(doc):
        lines += w.wrap(f"{t}: {d}")
    lines += ["", *textwrap.wrap(_provenance(doc), width)]
    return "\n".join(lines) + "\n"


def _provenance(doc: dict[str, Any]) -> str:
    cfg = doc["config"]
    return (f"detente {doc['version']} · seed {doc['seed']} · {cfg['replicates']} replicates · scenario hash "
            f"{doc['scenario_hash']} · priors hash {doc['priors_hash']}" + (" · QUICK ESTIMATE" if doc["quick"] else ""))


def chart(c: dict[str, Any], ax: Any) -> None:
    """Bars of the primary metric under the article's choice and the alternative at three settings."""
    dyn = c.get("dynamic")
    rows = [r for r in c.get("static") or [] if "mean_diff" in r]
    if dyn is None and not c.get("record") and rows:
        import numpy as np

        y = np.arange(len(rows))
        ax.barh(y, [r["mean_diff"] for r in rows], color=RULE_COLOURS[0])
        ax.set_yticks(y, [textwrap.fill(f"{r['model']}: {r['variant']}", 28) for r in rows], fontsize=7)
        ax.axvline(0, color="k", lw=0.8)
        ax.invert_yaxis()
        ax.set_title(textwrap.fill(f"Mean change in {rows[0]['issue']} (scale points), what-if against baseline", 50),
                     fontsize=9)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        return
    if dyn is None:
        rec = c.get("record") or {}
        days = rec.get("monthly")
        if not days:
            ax.text(0.5, 0.5, "record not available here", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return
        import numpy as np

        x = np.arange(len(days))
        ax.bar(x, days, color=RULE_COLOURS[0])
        ax.axvspan(5.5, len(days) - 0.5, color="#dddddd", zorder=0)
        ax.set_xticks(x, [m for m in "JFMAMJJASOND"][: len(days)])
        ax.set_ylabel("test days per month")
        ax.set_xlabel("2019 (second half shaded)")
        return
    import numpy as np

    ch = dyn["chart"]
    h0 = next(h for h in dyn["hypotheses"] if h["role"] == "primary")
    vals = np.array([[np.nan if v is None else v for v in row] for row in ch["values"]], float)
    is_p = h0["plain"].startswith("chance")
    k = 100.0 if is_p else 1.0
    x = np.arange(len(ch["settings"]))
    labels = ch["settings"]
    if ch.get("param"):
        labels = [f"{s}\n({sig2(v)})" for s, v in zip(ch["settings"], ch["param_values"])]
    from matplotlib.ticker import FormatStrFormatter

    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    if np.all(np.isnan(vals[:, 1])):
        label = textwrap.fill((ch.get("labels") or ["the rule"])[0], 34)
        ax.bar(x, vals[:, 0] * k, 0.5, color=RULE_COLOURS[0], label=label)
        ax.axhline(h0["threshold"] * k, color="k", ls="--", lw=1, label="threshold")
    else:
        la, lb = ch.get("labels") or ["the article's choice", "the alternative"]
        ax.bar(x - 0.2, vals[:, 0] * k, 0.4, color=RULE_COLOURS[0], label=textwrap.fill(la, 30))
        ax.bar(x + 0.2, vals[:, 1] * k, 0.4, color=RULE_COLOURS[1], label=textwrap.fill(lb, 30))
    ax.set_xticks(x, labels)
    unit = "%" if is_p else ""
    ax.set_title(textwrap.fill(h0["plain"][0].upper() + h0["plain"][1:] + (f" ({unit})" if unit else ""), 50),
                 fontsize=9)
    ax.set_ylabel("%" if is_p else "", fontsize=8)
    if ch.get("param"):
        tp = next((t for t in dyn["tipping"] if t["param"] == ch["param"]), None)
        unit = f", {tp['unit']}" if tp else ""
        ax.set_xlabel(textwrap.fill(f"low, central and high {ch['plain']}{unit} (other assumptions central)", 64),
                      fontsize=8)
    top = float(np.nanmax(vals * k)) if np.isfinite(vals).any() else 1.0
    if h0.get("threshold") is not None and np.all(np.isnan(vals[:, 1])):
        top = max(top, h0["threshold"] * k)
    if top > 0:
        ax.set_ylim(0, top * 1.9)
    ax.legend(fontsize=7, loc="upper left", frameon=False, ncol=1)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def _svg(c: dict[str, Any]) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 3.1))
    ax = fig.subplots()
    chart(c, ax)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    s = buf.getvalue()
    return s[s.index("<svg"):]


def html_page(doc: dict[str, Any]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(doc.get('title') or doc['scenario'])}: claims scorecard</title>",
        "<style>body{font-family:Georgia,serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222;"
        "line-height:1.45}h1{font-size:26px;margin-bottom:4px}.method{color:#444;font-size:15px}"
        ".claim{display:grid;grid-template-columns:1fr 470px;gap:18px;border-top:1px solid #ccc;padding:16px 0}"
        ".claim h2{font-size:20px;margin:0 0 6px}.quote{font-style:italic;color:#444;margin:4px 0 8px}"
        ".badge{display:inline-block;color:#fff;border-radius:4px;padding:3px 9px;font-family:sans-serif;"
        "font-size:14px;margin-bottom:6px}.s{font-size:17px;font-weight:bold;margin:6px 0}.l{font-size:14.5px;"
        "margin:4px 0}.chart svg{width:100%;height:auto}dl{font-size:14px}dt{font-weight:bold}dd{margin:0 0 6px 0}"
        ".prov{color:#666;font-size:12px}</style></head><body>",
        f"<h1>{e(doc.get('title') or doc['scenario'])}</h1><h3>Do the op-eds' claims hold? A scorecard</h3>",
        f"<p class='method'>{e(method_line(doc))}</p>",
    ]
    cmap = {c["id"]: c for c in doc["claims"]}
    for b in blocks(doc):
        colour = BADGE.get(b["category"], "#5e5e5e")
        extra = "".join(f"<p class='l'>{e(x)}</p>" for x in [b["minimum"], b["record"], *b["fact_checks"]] if x)
        if b["premise"]:
            extra += f"<p class='l'><b>Note:</b> {e(b['premise'])}</p>"
        parts.append(
            f"<div class='claim'><div><h2>{e(b['title'])}</h2><p class='quote'>“{e(b['quote'])}”</p>"
            f"<span class='badge' style='background:{colour}'>{e(b['verdict'])}</span>"
            f"<p class='s'>{e(b['sentence'])}</p><p class='l'>{e(b['rests_on'])}</p><p class='l'>{e(b['why'])}</p>"
            f"<p class='l'>{e(b['static'])}</p><p class='l'>{e(b['cannot'])}</p>{extra}</div>"
            f"<div class='chart'>{_svg(cmap[b['id']])}</div></div>"
        )
    parts.append("<h2>Glossary</h2><dl>")
    for t, d in glossary(doc):
        parts.append(f"<dt>{e(t)}</dt><dd>{e(d)}</dd>")
    parts.append(f"</dl><p class='prov'>{e(_provenance(doc))}</p></body></html>\n")
    return "".join(parts)


def png(doc: dict[str, Any]) -> bytes:
    """The page as one PNG: a band per claim (text on the left, its chart on the right), then the glossary."""
    from matplotlib.figure import Figure

    bl = blocks(doc)
    cmap = {c["id"]: c for c in doc["claims"]}
    lh = 0.205  # inches per line at 9-10 pt
    items: list[list[tuple[str, float, str, str, str]]] = []  # per claim: (text, size, weight, style, colour)
    for b in bl:
        rows = [(b["title"], 14.0, "bold", "normal", "black")]
        rows.append((textwrap.fill("“" + b["quote"] + "”", 100), 9.0, "normal", "italic", "#444444"))
        rows.append(("BADGE", 10.5, "normal", "normal", "white"))
        rows.append((textwrap.fill(b["sentence"], 88), 10.5, "bold", "normal", "black"))
        for key in ("rests_on", "why", "static", "minimum", "record", "cannot"):
            if b[key]:
                rows.append((textwrap.fill(b[key], 108), 9.0, "normal", "normal", "black"))
        for f in b["fact_checks"]:
            rows.append((textwrap.fill(f, 108), 9.0, "normal", "normal", "#8a1c1c"))
        if b["premise"]:
            rows.append((textwrap.fill("Note: " + b["premise"], 108), 9.0, "normal", "normal", "#444444"))
        items.append(rows)

    def rows_height(rows: list[tuple[str, float, str, str, str]]) -> float:
        return sum((t.count("\n") + 1) * lh * (1.25 if sz > 10 else 1.0) + 0.09 for t, sz, *_ in rows)

    bands = [max(rows_height(r) + 0.3, 3.1) for r in items]
    gl = glossary(doc)
    gl_text = [textwrap.fill(f"{t}: {d}", 170) for t, d in gl]
    gl_h = 0.5 + sum((g.count("\n") + 1) * lh + 0.06 for g in gl_text)
    head = 1.35
    height = head + sum(bands) + gl_h + 0.4
    fig = Figure(figsize=(13, height), dpi=100)

    def Y(inches_from_top: float) -> float:
        return 1 - inches_from_top / height

    fig.text(0.03, Y(0.3), doc.get("title") or doc["scenario"], fontsize=17, weight="bold", va="top")
    fig.text(0.03, Y(0.72), textwrap.fill(method_line(doc), 150), fontsize=9.5, va="top", color="#333333")
    y = head
    for b, rows, band in zip(bl, items, bands):
        fig.add_artist(_line(fig, Y(y)))
        cur = y + 0.15
        for t, sz, wt, st, col in rows:
            if t == "BADGE":
                fig.text(0.03, Y(cur), " " + _badge(b) + " ", fontsize=sz, color="white", va="top",
                         family="sans-serif",
                         bbox={"facecolor": BADGE.get(b["category"], "#5e5e5e"), "edgecolor": "none", "pad": 2.5})
                cur += lh * 1.3 + 0.09
                continue
            fig.text(0.03, Y(cur), t, fontsize=sz, weight=wt, style=st, color=col, va="top")
            cur += (t.count("\n") + 1) * lh * (1.25 if sz > 10 else 1.0) + 0.09
        ax = fig.add_axes((0.70, Y(y + 0.45 + 2.3), 0.27, 2.3 / height))
        chart(cmap[b["id"]], ax)
        y += band
    fig.add_artist(_line(fig, Y(y)))
    fig.text(0.03, Y(y + 0.15), "Glossary", fontsize=12, weight="bold", va="top")
    cur = y + 0.5
    for g in gl_text:
        fig.text(0.03, Y(cur), g, fontsize=8.8, va="top")
        cur += (g.count("\n") + 1) * lh + 0.06
    fig.text(0.03, Y(height - 0.15), _provenance(doc), fontsize=7.5, color="#666666")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _badge(b: dict[str, Any]) -> str:
    v = b["verdict"]
    return textwrap.shorten(v, 95, placeholder=" …") if len(v) > 95 else v


def _line(fig: Any, y: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([0.03, 0.97], [y, y], transform=fig.transFigure, color="#bbbbbb", lw=0.8)


__all__ = ["GLOSSARY", "blocks", "html_page", "png", "sentence", "text"]
