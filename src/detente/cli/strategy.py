"""Strategy-engine commands: ``detente strategy``, ``detente experiment``, ``detente experiments``,
``detente strategy-replay``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli._tables import terminal_width, text_of
from detente.cli.app import (
    app,
    dumps,
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
    str | None, typer.Option("--format", "-f", metavar="table|csv|json|xlsx", help="output format (default: --out's suffix, else table)")
]
Out = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="FILE.png/.svg/.pdf: write a chart (the table is printed); FILE.csv/.json/.xlsx/.txt: the data",
    ),
]
FORMATS = ("table", "csv", "json", "xlsx")


def _text(*items: Any, out: Path | None = None) -> str:
    """Tables and lines as text: fitted to the terminal, or whole tables when written to ``out``."""
    return text_of(items, None if out is not None else terminal_width())


def _ci(m: dict[str, float], nd: int = 3) -> str:
    return f"{m['value']:.{nd}f} [{m['lo']:.{nd}f}, {m['hi']:.{nd}f}]"


def _emit(fmt: str, chart: bool, out: Path | None, *, doc: Any, frames: Any, text: Any, fig_fn: Any) -> None:
    """A chart to ``out`` (then the output to stdout), or the output in ``fmt`` to ``out`` or stdout."""
    if chart and out is not None:
        write_figure(fig_fn(), out)
        out = None
    if not write_data(fmt, out, doc=doc, frames=frames):
        write_output(_text(*text(), out=out), out)


RuleOpt = Annotated[
    list[str] | None, typer.Option("--rule", "-r", help="US rule (repeatable): hanoi, aon-threats, aon-bmd, small-deal, "
                                   "sfs-freeze, sfs-front, grit")
]


@app.command("strategy")
def strategy_cmd(
    ref: Annotated[str, typer.Argument(help="a built-in scenario name or a scenario file (its `strategy:` block)")],
    rule: RuleOpt = None,
    best_rule: Annotated[bool, typer.Option("--best-rule", help="also search the president's best rule")] = False,
    policy: PolicyOpt = None,
    paths: Paths = None,
    seed: Seed = 0,
    param: Param = None,
    grid: Annotated[str | None, typer.Option("--grid", help="types of deterrent value, of test value, belief "
                                             "nodes: N,N,N (default 24,3,10; coarser is faster)")] = None,
    true_risk: Annotated[float | None, typer.Option(
        "--true-exploitation-risk", metavar="P",
        help="misperception: draw the US exploitation rate from a distribution under which a disarmed North is "
             "exploited within five years with chance P, not from North Korea's prior (its belief is then "
             "miscalibrated); each rule is also given as if calibrated")] = None,
    true_shape: Annotated[float | None, typer.Option(
        "--true-exploitation-shape", metavar="A",
        help="misperception: shape of that true distribution (default: the shape of North Korea's prior)")] = None,
    seoul_led: Annotated[bool, typer.Option(
        "--seoul-led", help="also search South Korea's best rule under a US veto (implies --best-rule)")] = False,
    deference: Annotated[str | None, typer.Option(
        "--deference", metavar="NU",
        help="with --seoul-led: how much of his payoff against the Hanoi offer (months of complete disarmament) the "
             "president gives up to let Seoul lead; 0 none, inf full delegation (default: parameter nu_K)")] = None,
    device: Annotated[str | None, typer.Option(
        "--device", help="where the Monte Carlo's paths run: cpu (default, numpy) or cuda (CuPy or PyTorch on a "
                         "GPU; the same random draws, agrees with cpu to rounding)")] = None,
    fmt: Format = None,
    out: Out = None,
) -> None:
    """A US president's rule against North Korea's best response: the staged-disarmament game (docs/strategy.md)."""
    with guarded():
        from detente.errors import DetenteError
        from detente.report.strategy import staged_status_figure
        from detente.strategy.staged.engine import run

        if policy:
            raise DetenteError(
                f"--policy {policy[0]!r}: the policy engine was replaced by the staged-disarmament game; use "
                f"`detente strategy {ref} --rule hanoi --rule sfs-freeze` (see `detente strategy-params`)"
            )
        fmt, chart = output_format(fmt, out, FORMATS, charts=True)
        scenario = load_scenario(ref)
        g = _grid(grid)
        truth = None
        if true_risk is not None or true_shape is not None:
            from detente.strategy.staged.misperception import Truth

            if true_risk is None:
                raise DetenteError("--true-exploitation-shape needs --true-exploitation-risk P (the chance, under the "
                                   "true distribution, that a disarmed North is exploited within five years)")
            truth = Truth(true_risk, true_shape).check()
        nu = _deference(deference, seoul_led)
        doc = run(scenario, rule, best=best_rule, paths=paths or 20000, seed=seed, overrides=parse_params(param),
                  grid=g, search_grid=g if g is not None and g.n_v * g.n_tau < 48 else None, truth=truth,
                  seoul=seoul_led, deference=nu, device=device)
        _emit(fmt, chart, out, doc=lambda: doc, frames=lambda: {"rules": _staged_frame(doc)},
              text=lambda: _staged_table(doc), fig_fn=lambda: staged_status_figure(doc))


def _deference(text: str | None, seoul_led: bool) -> float | None:
    import math

    from detente.errors import DetenteError

    if text is None:
        return None
    if not seoul_led:
        raise DetenteError("--deference needs --seoul-led (it is the US veto on South Korea's rule)")
    try:
        nu = math.inf if text.strip().lower() in ("inf", "unlimited") else float(text)
    except ValueError:
        nu = math.nan
    if not (nu >= 0):
        raise DetenteError(f"--deference {text[:40]!r}: expected a number of months of complete disarmament >= 0, "
                           "or inf for full delegation")
    return nu


def _grid(text: str | None) -> Any:
    from detente.errors import DetenteError
    from detente.strategy.staged.game import Grid

    if text is None:
        return None
    try:
        nv, ntau, nl = (int(x) for x in text.split(","))
    except ValueError:
        raise DetenteError(f"--grid {text[:40]!r}: expected three whole numbers N,N,N such as 24,3,10") from None
    if not (1 <= nv <= 200 and 1 <= ntau <= 20 and 3 <= nl <= 40):
        raise DetenteError(f"--grid {text[:40]!r}: expected 1-200 value types, 1-20 test types, 3-40 belief nodes")
    return Grid(nv, ntau, nl)


def _staged_frame(doc: dict[str, Any]) -> Any:
    import pandas as pd

    rows = []
    for r in doc["rules"]:
        for horizon, metrics in r["metrics"].items():
            for name, value in metrics.items():
                rows.append({"rule": r["name"], "horizon": horizon, "metric": name, "value": value})
    return pd.DataFrame(rows)


def _staged_table(doc: dict[str, Any]) -> list[Any]:
    cal = doc["calendar"]
    t = Table(title=f"staged-disarmament game: {doc['scenario']}, first month {cal['first_month']}, election "
              f"{cal['election']} (exact; {doc['paths']} Monte Carlo paths for the arsenal quantiles, seed {doc['seed']})")
    first = doc["rules"][0]["metrics"]
    horizon = next(iter(first))
    cols = list(first[horizon])
    t.add_column("rule")
    for c in cols:
        t.add_column(c)
    t.add_column("president's payoff (CVID-months)")
    for r in doc["rules"]:
        m = r["metrics"][horizon]
        t.add_row(r["name"], *[f"{m[c]:.3f}" for c in cols], f"{r['president_value']:.2f}")
    items: list[Any] = [t]
    if "best_rule_search" in doc:
        b = doc["best_rule_search"]
        items.append(f"president's best rule: {b['best']} (payoff {b['president_value']:.2f}; "
                     f"{b['rules_evaluated']} rules evaluated; gap to the second best {b['gap_to_second_best']:.3f})")
    if "seoul_led_search" in doc:
        k = doc["seoul_led_search"]
        fav = k["seoul_favourite_ignoring_the_veto"]
        items.append(f"Seoul-led rule: {k['rule']} ({'South Korea leads' if k['seoul_leads'] else 'vetoed: the US leads'}"
                     f"; South Korea's payoff {k['south_korea_value']:.2f}, the president's {k['president_value']:.2f} "
                     f"against {k['president_value_of_hanoi']:.2f} under the Hanoi offer; US deference "
                     f"{k['us_deference']}; {k['rules_vetoed']} of {k['rules_evaluated']} rules vetoed"
                     + ("; Seoul's favourite was vetoed)" if fav["vetoed"] else ")"))
    if "misperception" in doc:
        mp = doc["misperception"]
        items.append(f"Misperception: the true chance that a disarmed North is exploited within five years is "
                     f"{mp['true_p60']:.2f}; North Korea's prior says {mp['north_prior_p60']:.2f}. The table follows "
                     "the true rate; --format json gives each rule as if calibrated beside it.")
    items.append(f"{horizon}. {doc['warning']}")
    return items


@app.command("strategy-params")
def strategy_params_cmd(fmt: Format = "table") -> None:
    """Every parameter of the staged-disarmament game: meaning, prior, central value, and what its source supports."""
    with guarded():
        from detente.strategy.staged.engine import params_table

        fmt, _ = output_format(fmt, None, ("table", "json"))
        rows = params_table()
        if fmt == "json":
            write_output(dumps(rows), None)
            return
        t = Table(title="staged-disarmament game: parameters")
        for c in ("name", "meaning", "prior", "central", "kind", "supports"):
            t.add_column(c)
        for r in rows:
            t.add_row(r["name"], r["meaning"], r["prior"], f"{r['central']:.4g}", r["kind"], r["supports"])
        write_output(_text(t), None)


@app.command("strategy-fit")
def strategy_fit_cmd(
    data: Annotated[Path | None, typer.Option("--data", help="folder with the CNS files (default ../shared/data/korea)")] = None,
    fmt: Format = "table",
) -> None:
    """Fit testing behaviour by maximum likelihood to the CNS missile-test record (Mar 2019 - Jan 2021)."""
    with guarded():
        from detente.errors import DetenteError
        from detente.strategy.staged import cns

        fmt, _ = output_format(fmt, None, ("table", "json"))
        d = data or cns.default_data_dir()
        if not (d / "nk_missile_tests_cns_via_nagix.json").is_file():
            raise DetenteError(f"--data {d}: the CNS file nk_missile_tests_cns_via_nagix.json is not there")
        days, _ = cns.monthly(cns.load_launches(d), "2019-03", 23)
        res = cns.fit(days)
        doc = res.to_dict()
        doc["replay_2019_2020"] = {k: v for k, v in cns.replay(days).items() if k != "forecasts"}
        if fmt == "json":
            write_output(dumps(doc), None)
            return
        t = Table(title=f"test behaviour fitted to the CNS record ({doc['window']})")
        for c in ("parameter", "estimate", "standard error"):
            t.add_column(c)
        for k, v in res.estimates.items():
            t.add_row(k, f"{v:.3f}", f"{res.se.get(k, float('nan')):.3f}")
        lines = [f"log-likelihood {res.loglik:.2f}, AIC {res.aic:.2f}, BIC {res.bic:.2f}"]
        lines += [f"{k}: {v:.2f}" for k, v in res.baselines.items() if k != "n"]
        rp = doc["replay_2019_2020"]
        lines += ["one-step-ahead log scores of test months, Mar 2019 - Jan 2021 (higher is better): "
                  + "; ".join(f"{k} {v:.2f}" for k, v in rp["log_scores"].items()), rp["statement"]]
        write_output(_text(t, *lines), None)


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
        from detente.report.strategy import experiment_figure
        from detente.strategy.engine import scenario_identity
        from detente.strategy.experiments import run_experiment
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
            fig_fn=lambda: experiment_figure(res),
        )


def _experiment_table(res: Any) -> list[Any]:
    e = res.experiment
    t = Table(title=f"{e.name}: {e.title} — {res.paths} paths, seed {res.seed}")
    for col in ("point", "policy", "P(full deal by election)", "P(freeze+)", "arsenal Nov 2020", "P(crisis)"):
        t.add_column(col)
    for p in e.points:
        for pol in e.policies:
            m = res.metrics[p.label][pol]
            t.add_row(p.label, pol, _ci(m["p_deal"]), _ci(m["p_partial"]), _ci(m["arsenal_E"], 1), _ci(m["p_crisis"]))
    summary = "\n".join(res.summary)
    return [t, f"claim: {e.quote}", summary]


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
            pols = pd.DataFrame([{"name": c.name, "summary": c.summary, "source": c.source} for c in POLICIES.values()])
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
        write_output(_text(t, p, out=out), out)


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
        write_output(_text(t, f"reference scores — {refs}", res.verdict(), out=out), out)
