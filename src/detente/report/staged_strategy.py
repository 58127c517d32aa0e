"""Figures of docs/strategy.md, drawn from a fixed seed with the matplotlib object API (``Figure``).

``python -m detente.report.staged_strategy DIR`` writes strategy-F1.png ... into DIR. Every axis and legend is in
plain words.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from detente.strategy.staged import cns, episodes
from detente.strategy.staged.forward import STATUS, forward
from detente.strategy.staged.game import SWEEP_GRID, Game, Grid, make_game
from detente.strategy.staged.kernel import derive
from detente.strategy.staged.montecarlo import simulate
from detente.strategy.staged.rules import PRESETS, Rule
from detente.strategy.staged.space import ACTIONS

SEED = 1
STAGES = ("testing", "moratorium", "Yongbyon freeze", "Yongbyon dismantled", "declaration",
          "disarmament under way", "disarmament done")


def _months(g: Game, ax: Any, n: int) -> None:
    ticks = list(range(0, n, 3))
    ax.set_xticks(ticks)
    ax.set_xticklabels([g.calendar.label(t) for t in ticks], rotation=45, ha="right", fontsize=7)
    for t, name in ((g.calendar.election, "election"), (g.calendar.inauguration, "inauguration"),
                    (g.calendar.covid, "border closed")):
        ax.axvline(t, color="grey", lw=0.8, ls=":")
        ax.text(t, 1.0, name, fontsize=6, rotation=90, va="top", transform=ax.get_xaxis_transform())


def f1_status(games: dict[str, Game]) -> Figure:
    fig = Figure(figsize=(10, 3 * len(games) + 0.6), layout="constrained")
    axes = fig.subplots(len(games), 1, squeeze=False)[:, 0]
    for ax, (name, g) in zip(axes, games.items(), strict=True):
        fw = forward(g, 36)
        ax.stackplot(range(36), fw.status.T, labels=STATUS)
        ax.set_title(f"rule '{name}': status of the negotiation by month (share of outcomes)", fontsize=9)
        ax.set_ylabel("share")
        ax.set_xlim(0, 35)
        ax.set_ylim(0, 1)
        _months(g, ax, 36)
    # one legend below the panels, never over the shares it explains
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(STATUS), fontsize=8, frameon=False)
    return fig


def f2_arsenal(games: dict[str, Game]) -> Figure:
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    for name, g in games.items():
        ps = simulate(g, 20_000, SEED)
        fw = forward(g)
        x = range(g.calendar.horizon + 1)
        (line,) = ax.plot(x, fw.arsenal_mean, label=f"{name}: mean (exact)")
        ax.fill_between(x, ps.arsenal_q[:, 0], ps.arsenal_q[:, 2], color=line.get_color(), alpha=0.15,
                        label=f"{name}: 10-90 % of paths")
        ax.plot(x, ps.arsenal_q[:, 1], color=line.get_color(), ls="--", lw=0.8)
    ax.set_ylabel("warheads' worth of material")
    ax.set_title("arsenal by month (dashed: median of 20,000 paths)", fontsize=9)
    _months(next(iter(games.values())), ax, next(iter(games.values())).calendar.horizon + 1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def f3_best(doc: dict[str, Any]) -> Figure:
    rules = {r["name"]: r for r in doc["rules"]}
    names = [n for n in ("hanoi", "sfs-freeze", "president-best") if n in rules]
    comps = list(rules[names[0]]["president_value_by_component"])
    fig = Figure(figsize=(10, 4))
    ax = fig.subplots()
    w = 0.8 / len(names)
    for i, n in enumerate(names):
        vals = [rules[n]["president_value_by_component"][c] for c in comps]
        ax.bar(np.arange(len(comps)) + i * w, vals, w, label=f"{n} (total {rules[n]['president_value']:.1f})")
    ax.set_xticks(np.arange(len(comps)) + w)
    ax.set_xticklabels(comps, rotation=30, ha="right", fontsize=8)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("president's payoff\n(months of complete disarmament)", fontsize=8)
    b = doc.get("best_rule_search", {})
    ax.set_title(f"the president's payoff by component; {len(b.get('rules_within_half_a_CVID_month', []))} rules "
                 f"within 0.5 of the best", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def f4_first_step(games: dict[str, Game]) -> Figure:
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    for name, g in games.items():
        fw = forward(g)
        surv = 1 - np.concatenate([[0], np.cumsum(fw.first_step)[:-1]])
        ax.plot(range(g.calendar.horizon), fw.first_step / np.maximum(surv, 1e-12), label=name)
    ax.set_ylabel("chance of a first step beyond the moratorium this month, given none yet")
    ax.set_title("hazard of the first step", fontsize=9)
    g0 = next(iter(games.values()))
    _months(g0, ax, g0.calendar.horizon)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def f5_belief(g: Game) -> Figure:
    dv = derive(g.params)
    fig = Figure(figsize=(8, 3.5))
    ax = fig.subplots()
    months = np.arange(0, 121)
    prior_mean = dv.alpha / dv.beta
    p = g.params
    for j, name in ((1, "moratorium"), (2, "Yongbyon freeze"), (4, "declaration"), (6, "disarmament done")):
        deff = dv.D[j]
        H = np.exp(-p["kappa_x"] * (1 - deff)) * deff ** p["a_s"]
        ax.plot(months, dv.alpha / (dv.beta + months * H) / prior_mean, label=f"quiet months at the {name}")
    ax.plot(months[:13], dv.alpha / (dv.beta + dv.eta_x * months[:13]) / prior_mean, "k--",
            label="honoured tranches (one a month)")
    ax.set_xlabel("months (or tranches)")
    ax.set_ylabel("feared exploitation rate / prior")
    ax.set_title("North Korea's belief: quiet months at a partly armed stage teach little, honoured exchanges much",
                 fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def f6_signs(grid: Grid, n: int = 9) -> Figure:
    """Sign maps of four effects over two assumptions each (prior quantiles 1-99 %, others central)."""
    from matplotlib.colors import TwoSlopeNorm

    from detente.strategy.staged import priors
    from detente.strategy.staged.signs import EFFECTS, TOL, sign_map

    fig = Figure(figsize=(11, 9))
    axes = fig.subplots(2, 2).ravel()
    for ax, eff in zip(axes, EFFECTS, strict=True):
        m = sign_map(eff, n, grid)
        v = m.values
        lim = max(float(np.abs(v).max()), 1e-9)
        mesh = ax.pcolormesh(m.xs, m.ys, v, cmap="RdBu" if eff.sign > 0 else "RdBu_r", shading="nearest",
                             norm=TwoSlopeNorm(0.0, -lim, lim))
        none = np.abs(v) <= TOL
        if none.any():
            ax.contourf(m.xs, m.ys, none.astype(float), levels=[0.5, 1.5], colors="none", hatches=["///"])
        if (v > TOL).any() and (v < -TOL).any():
            ax.contour(m.xs, m.ys, v, levels=[0.0], colors="black", linewidths=0.8)
        ax.set_xlabel(priors.BY_NAME[eff.x].label, fontsize=8)
        ax.set_ylabel(priors.BY_NAME[eff.y].label, fontsize=8)
        if priors.BY_NAME[eff.y].prior.startswith("LogU"):
            ax.set_yscale("log")
        if priors.BY_NAME[eff.x].prior.startswith("LogU"):
            ax.set_xscale("log")
        ax.set_title(f"({eff.key}) {eff.words}\nholds in {m.share_holds():.0%} of the map; hatched: no effect "
                     f"(|change| <= {TOL:g})", fontsize=8)
        ax.tick_params(labelsize=7)
        cb = fig.colorbar(mesh, ax=ax)
        cb.set_label("change in P(freeze or more by the election)" if eff.metric == "freeze"
                     else "change in P(crisis by the election)", fontsize=7)
        cb.ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def f7_time_consistency(rule: Rule, grid: Grid) -> Figure:
    from detente.strategy.staged.consistency import check

    cands = [PRESETS[n] for n in ("hanoi", "sfs-freeze", "small-deal", "aon-threats", "aon-bmd")]
    res = check(rule, cands, grid=grid)
    fig = Figure(figsize=(10, 3.6))
    ax = fig.subplots()
    names = list(res[0]["values"])
    w = 0.8 / len(res)
    for i, r in enumerate(res):
        ax.bar(np.arange(len(names)) + i * w, [r["values"][n] - r["committed_value"] for n in names], w,
               label=f"switch in {r['month']}")
    ax.set_xticks(np.arange(len(names)) + w)
    ax.set_xticklabels(names, fontsize=8)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("president's gain from switching (CVID-months)")
    ax.set_title(f"would the president abandon '{rule.name}' once North Korea has responded? (below zero: no)",
                 fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def f8_decision(g: Game) -> Figure:
    """North Korea's first-month choice between holding the moratorium and a verified freeze, by component, for the
    median type (flow components this month, then the continuation)."""
    g.solve()
    k = g.kernel(0)
    jp_t, y_t, c_t, ok_t = ACTIONS.table
    slot_hold = int(np.nonzero(ok_t[1] & (jp_t[1] == 1) & (y_t[1] == 0) & (c_t[1] == 0))[0][0])
    slot_frz = int(np.nonzero(ok_t[1] & (jp_t[1] == 2) & (y_t[1] == 0) & (c_t[1] == 0))[0][0])
    rows = np.nonzero(k.row_s == g.s0)[0]
    r_hold = rows[k.row_k[rows] == slot_hold][0]
    r_frz = rows[k.row_k[rows] == slot_frz][0]
    theta = int(np.argsort(g.types.v)[g.types.n // 2])
    comp = g.flow_N(0, split=True)
    assert g.V_believed is not None
    cont = g.params["delta_N"] * (k.P @ g.V_believed[1][:, theta])
    names = list(comp) + ["future (continuation value)"]
    vals = [float(comp[c][r_frz, theta] - comp[c][r_hold, theta]) for c in comp] + [float(cont[r_frz] - cont[r_hold])]
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    ax.barh(names, vals, color=["tab:green" if v > 0 else "tab:red" for v in vals])
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel("freeze minus hold, months of the 2018 sanctions bite")
    ax.set_title(f"'{g.rule.name}', March 2019, median type: why a freeze or not (total {sum(vals):+.2f})",
                 fontsize=9)
    fig.tight_layout()
    return fig


def f9_cns(grid: Grid) -> Figure:
    days = list(cns.TEST_DAYS_2019_2021)
    g = make_game(PRESETS["hanoi"], grid=grid)
    fw = forward(g, len(days))
    fig = Figure(figsize=(9, 3.5))
    ax = fig.subplots()
    ax.bar(range(len(days)), [1 if d else 0 for d in days], color="lightgrey", label="observed: a month with tests")
    ax.plot(range(len(days)), fw.test_month, "o-", label="engine: chance of a month with tests (fitted)")
    ax.set_ylim(0, 1.05)
    _months(g, ax, len(days))
    ax.set_ylabel("chance / observed")
    ax.set_title("testing fitted to the CNS missile-test record, Mar 2019 - Jan 2021", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def f10_episodes(scores: Any) -> Figure:
    """Log scores per month of the engine and the baselines on the coded episodes, and the engine's test forecast."""
    from detente.strategy.staged.episodes import METHODS

    fig = Figure(figsize=(10, 4.4), layout="constrained")
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    ids = [r["id"] for r in scores.table]
    width = 0.2
    for k, meth in enumerate(METHODS):
        ax.bar(np.arange(len(ids)) + (k - 1.5) * width, [r[meth] / r["months"] for r in scores.table], width,
               label=meth)
    ax.set_xticks(range(len(ids)))
    ax.set_xticklabels(ids, fontsize=7)
    ax.set_ylabel("log score per month (nats; higher is better)")
    ax.set_title("one-month-ahead log score by episode", fontsize=9)
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.08), frameon=False)  # below the bars
    pos = 0
    for n, (eid, rows) in enumerate(scores.forecasts.items()):
        xs = np.arange(pos, pos + len(rows))
        obs = [0 if r["observed"] == "hold-0" or r["observed"].startswith("advance-0") else 1 for r in rows]
        bx.bar(xs, obs, color="lightgrey", width=1.0)
        bx.plot(xs, [r["p_test_month"] for r in rows], lw=1)
        bx.text(pos, 1.02 + 0.04 * (n % 2), eid, fontsize=6)  # alternate heights: short episodes sit close
        pos += len(rows) + 3
    bx.set_ylim(0, 1.12)
    bx.set_xticks([])
    bx.set_ylabel("chance of a month with tests or an exit")
    bx.set_title("engine forecast (line) and observed months with tests or an exit (grey), in time order",
                 fontsize=8)
    return fig


def main(out: Path, doc: dict[str, Any] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    grid = SWEEP_GRID
    games = {n: make_game(PRESETS[n], grid=grid) for n in ("hanoi", "sfs-freeze")}
    if doc is not None and any(r["name"] == "president-best" for r in doc["rules"]):
        from detente.strategy.staged.rules import phase_from_code

        best = next(r for r in doc["rules"] if r["name"] == "president-best")
        games["president-best"] = make_game(Rule("president-best", phase_from_code(best["code"])), grid=grid)
    figs = {"F1": f1_status(games), "F2": f2_arsenal(games), "F4": f4_first_step(games),
            "F5": f5_belief(games["hanoi"]), "F6": f6_signs(Grid(8, 2, 6)), "F8": f8_decision(games["sfs-freeze"]),
            "F9": f9_cns(grid), "F10": f10_episodes(episodes.score())}
    if doc is not None:
        figs["F3"] = f3_best(doc)
    if "president-best" in games:
        figs["F7"] = f7_time_consistency(games["president-best"].rule, grid)
    for name, fig in figs.items():
        fig.savefig(out / f"strategy-{name}.png", dpi=90, metadata={"Software": None})


if __name__ == "__main__":
    import json

    main(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else None)


def only(names: list[str], out: Path, doc: dict[str, Any]) -> None:
    """Redraw some figures only (e.g. ``["F7"]``)."""
    from detente.strategy.staged.rules import phase_from_code

    grid = SWEEP_GRID
    if "F6" in names:
        f6_signs(Grid(8, 2, 6)).savefig(out / "strategy-F6.png", dpi=90, metadata={"Software": None})
    if "F7" not in names:
        return
    best = next(r for r in doc["rules"] if r["name"] == "president-best")
    rule = Rule("president-best", phase_from_code(best["code"]))
    if "F7" in names:
        f7_time_consistency(rule, grid).savefig(out / "strategy-F7.png", dpi=90, metadata={"Software": None})
