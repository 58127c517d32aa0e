"""Strategy-engine commands: ``detente strategy``, ``detente experiment``, ``detente experiments``,
``detente strategy-replay``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from detente.cli.app import (
    app,
    guarded,
    load_scenario,
    output_format,
    parse_params,
    write_data,
    write_figure,
    write_output,
)

PolicyOpt = Annotated[
    list[str] | None, typer.Option("--policy", help="US policy (repeatable; see `detente experiments`)")
]
Paths = Annotated[int | None, typer.Option("--paths", min=1, help="Monte Carlo paths per policy (and point)")]
Seed = Annotated[int, typer.Option("--seed", min=0, help="random seed (same seed, same bytes)")]
Param = Annotated[list[str] | None, typer.Option("--param", "-p", help="engine parameter key=value (repeatable)")]
Format = Annotated[
    str | None, typer.Option("--format", "-f", help="table, csv, json or xlsx (default: --out's suffix, else table)")
]
Out = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="FILE.png/.svg/.pdf: write a chart (the table is printed); FILE.csv/.json/.xlsx/.txt: the data"
    ),
]
FORMATS = ("table", "csv", "json", "xlsx")


def _text(*items: Any) -> str:
    buf = io.StringIO()
    c = Console(file=buf, width=170, force_terminal=False, color_system=None)
    for it in items:
        c.print(it)
    return buf.getvalue()


def _ci(m: dict[str, float], nd: int = 3) -> str:
    return f"{m['value']:.{nd}f} [{m['lo']:.{nd}f}, {m['hi']:.{nd}f}]"


def _emit(fmt: str, chart: bool, out: Path | None, *, doc: Any, frames: Any, text: Any, fig_fn: Any) -> None:
    """A chart to ``out`` (then the output to stdout), or the output in ``fmt`` to ``out`` or stdout."""
    if chart and out is not None:
        write_figure(fig_fn(), out)
        out = None
    if not write_data(fmt, out, doc=doc, frames=frames):
        write_output(text(), out)


def _strategy_figure(res: Any) -> Any:
    from matplotlib.figure import Figure

    from detente.strategy.results import month_labels

    labels = month_labels(res.T)
    x = range(res.T)
    fig = Figure(figsize=(10, 10))
    axes = fig.subplots(3, 1, sharex=True)
    for name, ps in res.runs.items():
        (line,) = axes[0].plot(x, ps.p_level[0, :, -1], label=f"{name}: full deal")
        axes[0].plot(x, ps.p_level[0, :, 1], ls="--", color=line.get_color(), label=f"{name}: freeze or more")
        axes[1].plot(x, ps.W_mean[0, 1:], color=line.get_color(), label=name)
        axes[1].fill_between(x, ps.W_q[0, 1:, 0], ps.W_q[0, 1:, 2], color=line.get_color(), alpha=0.15)
        axes[2].plot(x, ps.ES_mean[0], color=line.get_color(), label=name)
    for ax in axes:
        ax.axvline(res.t_E, color="grey", lw=0.8, ls=":")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("P(deal reached by month)")
    axes[1].set_ylabel("arsenal (mean, 10-90%)")
    axes[2].set_ylabel("escalation score (Rivera)")
    axes[0].legend(fontsize=7, ncol=2)
    axes[0].set_title(f"strategy engine: {res.scenario or 'spec defaults'} ({res.paths} paths, seed {res.seed})")
    ticks = list(range(0, res.T, 3))
    axes[2].set_xticks(ticks)
    axes[2].set_xticklabels([labels[i] for i in ticks], rotation=45, ha="right")
    fig.tight_layout()
    return fig


@app.command("strategy")
def strategy_cmd(
    ref: Annotated[str, typer.Argument(help="a built-in scenario name or a scenario file (its `strategy:` block)")],
    policy: PolicyOpt = None,
    paths: Paths = None,
    seed: Seed = 0,
    param: Param = None,
    fmt: Format = None,
    out: Out = None,
) -> None:
    """Simulate US policies against North Korea's best response (strategy engine; see docs/strategy.md)."""
    with guarded():
        from detente.strategy import run_strategy

        fmt, chart = output_format(fmt, out, FORMATS, charts=True)
        scenario = load_scenario(ref)
        res = run_strategy(
            scenario, policy or ["aon", "sfs-screen"], paths=paths or 20000, seed=seed, overrides=parse_params(param)
        )
        _emit(
            fmt,
            chart,
            out,
            doc=res.to_dict,
            frames=lambda: {"policies": res.headline_frame()},
            text=lambda: _strategy_table(res),
            fig_fn=lambda: _strategy_figure(res),
        )


def _strategy_table(res: Any) -> str:
    from detente.strategy.results import point_metrics
    from detente.strategy.simulate import group_means

    t = Table(title=f"strategy engine: {res.scenario or 'spec defaults'} — {res.paths} paths, seed {res.seed}")
    for col in (
        "policy",
        "P(full deal by election)",
        "P(freeze+ by election)",
        "P(small deal+)",
        "arsenal Nov 2020",
        "P(crisis)",
        "P(war/regime change)",
    ):
        t.add_column(col)
    g = Table(title="by North Korea's type and US reliability (means)")
    for col in ("policy", "group", "n", "P(full)", "P(freeze+)", "arsenal", "P(crisis)", "P(war)"):
        g.add_column(col)
    for name, ps in res.runs.items():
        m = point_metrics(ps, 0)
        t.add_row(
            name,
            _ci(m["p_deal"]),
            _ci(m["p_partial"]),
            _ci(m["p_small"]),
            _ci(m["arsenal_E"], 1),
            _ci(m["p_crisis"]),
            _ci(m["p_war"]),
        )
        for gname, row in group_means(ps).items():
            if gname == "all":
                continue
            g.add_row(
                name,
                gname,
                str(int(row["n"][0])),
                f"{row['full_by_E'][0]:.3f}",
                f"{row['partial_by_E'][0]:.3f}",
                f"{row['W_E'][0]:.1f}",
                f"{row['crisis'][0]:.3f}",
                f"{row['war_or_regime_change'][0]:.3f}",
            )
    return _text(t, g, "95% intervals in brackets (Wilson for probabilities, normal for the arsenal mean).")


@app.command("experiment")
def experiment_cmd(
    name: Annotated[str, typer.Argument(help="claim-a ... claim-f (see `detente experiments`)")],
    paths: Paths = None,
    seed: Seed = 0,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="take base parameters from this scenario's strategy block")
    ] = None,
    param: Param = None,
    fmt: Format = None,
    out: Out = None,
) -> None:
    """Run one of the six claims as an experiment and report where it holds and where it fails."""
    with guarded():
        from detente.strategy.engine import scenario_identity
        from detente.strategy.experiments import figure, run_experiment
        from detente.strategy.params import StrategyParams, from_scenario, parse_overrides

        fmt, chart = output_format(fmt, out, FORMATS, charts=True)
        sc = load_scenario(scenario) if scenario else None
        base = from_scenario(sc)[0] if sc is not None else StrategyParams()
        overrides = parse_params(param)
        if overrides:
            base = parse_overrides(base, overrides)
        sname, shash = scenario_identity(sc)
        res = run_experiment(name, paths=paths or 4000, seed=seed, base=base, scenario=sname, scenario_hash=shash)
        _emit(
            fmt,
            chart,
            out,
            doc=res.to_dict,
            frames=lambda: {"metrics": res.frame()},
            text=lambda: _experiment_table(res),
            fig_fn=lambda: figure(res),
        )


def _experiment_table(res: Any) -> str:
    e = res.experiment
    t = Table(title=f"{e.name}: {e.title} — {res.paths} paths, seed {res.seed}")
    for col in ("point", "policy", "P(full deal by election)", "P(freeze+)", "arsenal Nov 2020", "P(crisis)"):
        t.add_column(col)
    for p in e.points:
        for pol in e.policies:
            m = res.metrics[p.label][pol]
            t.add_row(p.label, pol, _ci(m["p_deal"]), _ci(m["p_partial"]), _ci(m["arsenal_E"], 1), _ci(m["p_crisis"]))
    summary = "\n".join(res.summary)
    return _text(t, f"claim: {e.quote}", summary)


@app.command("experiments")
def experiments_cmd(fmt: Format = None, out: Out = None) -> None:
    """List the strategy experiments (the six claims) and the US policies they compare."""
    with guarded():
        import pandas as pd

        from detente.strategy import EXPERIMENTS, POLICIES

        fmt, _ = output_format(fmt, out, FORMATS)
        doc = {
            "experiments": [e.describe() for e in EXPERIMENTS.values()],
            "policies": [cls().describe() for cls in POLICIES.values()],
        }

        def frames() -> dict[str, Any]:
            exps = pd.DataFrame(
                [
                    {"name": e.name, "claim": e.claim, "policies": ", ".join(e.policies), "points": len(e.points)}
                    for e in EXPERIMENTS.values()
                ]
            )
            pols = pd.DataFrame(
                [{"name": c.name, "summary": c.summary, "source": c.source} for c in POLICIES.values()]
            )
            return {"experiments": exps, "policies": pols}

        if write_data(fmt, out, doc=lambda: doc, frames=frames):
            return
        t = Table(title="strategy experiments (`detente experiment NAME`)")
        for col in ("name", "claim tested", "policies", "points"):
            t.add_column(col)
        for e in EXPERIMENTS.values():
            t.add_row(e.name, e.claim, ", ".join(e.policies), str(len(e.points)))
        p = Table(title="US policies (`detente strategy REF --policy NAME`)")
        for col in ("name", "summary", "source"):
            p.add_column(col)
        for cls in POLICIES.values():
            p.add_row(cls.name, cls.summary, cls.source)
        write_output(_text(t, p), out)


@app.command("strategy-replay")
def replay_cmd(
    policy: PolicyOpt = None,
    paths: Paths = None,
    seed: Seed = 0,
    param: Param = None,
    fmt: Format = None,
    out: Out = None,
) -> None:
    """Score simulated monthly events against the dated events June 2018 - December 2020 (Jaccard)."""
    with guarded():
        import pandas as pd

        from detente.strategy.params import StrategyParams, parse_overrides
        from detente.strategy.replay import replay

        fmt, _ = output_format(fmt, out, FORMATS)
        prm = parse_overrides(StrategyParams(), parse_params(param))
        res = replay(policy or ["aon", "sfs-screen"], prm, paths=paths or 2000, seed=seed)

        def frames() -> dict[str, Any]:
            rows = []
            for name, sc in res.scores.items():
                lo, hi = sc["jaccard_q10_q90"]
                rows.append(
                    {
                        "policy": name,
                        "jaccard_mean": sc["jaccard_mean"],
                        "jaccard_q10": lo,
                        "jaccard_q90": hi,
                        "es_correlation": sc["es_correlation"],
                        "es_rmse": sc["es_rmse"],
                    }
                )
            refs = pd.DataFrame([{"reference": k, "jaccard_mean": v} for k, v in res.references.items()])
            return {"scores": pd.DataFrame(rows), "references": refs}

        if write_data(fmt, out, doc=res.to_dict, frames=frames):
            return
        t = Table(title=f"historical replay {res.months[0]} .. {res.months[-1]} ({res.paths} paths, seed {res.seed})")
        for col in ("policy", "mean Jaccard", "10-90% over paths", "escalation-score corr.", "ES RMSE"):
            t.add_column(col)
        for name, s in res.scores.items():
            t.add_row(
                name,
                f"{s['jaccard_mean']:.3f}",
                f"{s['jaccard_q10_q90'][0]:.3f}-{s['jaccard_q10_q90'][1]:.3f}",
                str(s["es_correlation"]),
                f"{s['es_rmse']:.2f}",
            )
        refs = ", ".join(f"{k}: {v:.3f}" for k, v in res.references.items())
        write_output(_text(t, f"reference scores — {refs}"), out)
