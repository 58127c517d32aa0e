"""``detente backtest``: every model on every negotiation with a known outcome; the leaderboard."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from detente.cli.app import (
    app,
    choice,
    guarded,
    output_format,
    print_tables,
    write_data,
    write_figure,
    write_output,
)
from detente.cli.uncertainty import Scheduler, Workers
from detente.display import scale_caption
from detente.errors import DetenteError

if TYPE_CHECKING:  # pandas loads when the command runs, not for `detente --help`
    import pandas as pd

Out = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="FILE.png/.svg/.pdf: a chart of each model's error (the table is printed); FILE.csv/.json/.xlsx/"
        ".parquet/.txt: the data",
    ),
]


@app.command()
def backtest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="scenario files with observed outcomes, or one DEU data file (detected from its header)",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model", "-m", help="model name or spec such as 'expected-utility(Q=0.5)' (repeatable; default: all)"
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario", "-s", help="scenario name or file with observed outcomes (repeatable; default: all built-in)"
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="random seed passed to every model (a non-negative integer)")
    ] = 0,
    detail: Annotated[
        bool, typer.Option("--detail", "-d", help="also show the per-issue forecasts and errors")
    ] = False,
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", metavar="table|csv|json|xlsx", help="output format (default: --out's suffix, else table)"),
    ] = None,
    out: Out = None,
    delegations: Annotated[
        str | None,
        typer.Option(
            "--delegations",
            metavar="collapse|separate", help="collapse or separate a scenario's delegations (default: collapse; docs/two-level.md)"
        ),
    ] = None,
    vetoes: Annotated[
        str | None,
        typer.Option(
            "--vetoes",
            metavar="on|off",
            help="on or off: bound outcomes by the veto players (default: on). DEU: on makes the member states veto "
            "players on unanimity proposals (default: off)",
        ),
    ] = None,
    capability: Annotated[
        str | None,
        typer.Option(
            "--capability",
            help="DEU: capability rule: vote-weights (default), vote-weights-procedure, shapley-shubik, banzhaf, equal",
        ),
    ] = None,
    min_actors: Annotated[
        int, typer.Option("--min-actors", help="DEU: score issues with at least this many actors with a position")
    ] = 3,
    missing_salience: Annotated[
        str, typer.Option("--missing-salience", help="DEU: a position without a salience: drop or mean")
    ] = "drop",
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="DEU: replicates of the paired bootstrap over proposals (0 = none)")
    ] = 2000,
    draws: Annotated[
        int, typer.Option("--draws", help="DEU: ensemble draws per proposal for interval coverage (0 = none)")
    ] = 200,
    ensemble_model: Annotated[
        list[str] | None,
        typer.Option(
            "--ensemble-model",
            help="DEU: models whose ensembles are checked (default: compromise, median, nash if back-tested)",
        ),
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help="DEU: write the per-issue predictions here (.csv or .json)")
    ] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    calibration: Annotated[
        Path | None,
        typer.Option("--calibration", help="DEU: write the interval-coverage chart here (.png, .svg, .pdf)"),
    ] = None,
) -> None:
    """Back-test the models on negotiations with observed outcomes and rank them against a naive baseline.

    Errors are |forecast − observed| as a percentage of each issue's scale width. The baseline forecasts the status
    quo (the scale midpoint where a scenario gives none). csv writes the leaderboard, or with --detail the per-issue
    rows; xlsx writes the leaderboard and the per-issue rows as sheets; json writes everything.

    Given a DEU data file (Decision-making in the European Union, either the Dataverse ';' file or the TAB copy),
    every proposal is a scenario and the errors are in points of each issue's 0–100 scale: MAE, RMSE, median, share
    within 10 points, share beating the reference point, and each model's MAE minus compromise's with a bootstrap
    interval over proposals; breakdowns by wave, procedure, voting rule and number of actors; the coverage of the
    ensembles' intervals. See docs/validation.md.
    """
    from detente.validation import backtest as run_backtest

    with guarded():
        format, chart = output_format(format, out, ("table", "csv", "json", "xlsx"), charts=True)
        chart_out, out = (out, None) if chart else (None, out)
        deu_file = _deu_path(paths or [])
        if deu_file is not None:
            if scenario:
                raise DetenteError("--scenario: a DEU file is back-tested on its own; give it alone")
            if delegations is not None:
                raise DetenteError("--delegations: applies to scenario files; a DEU proposal has no delegations")
            if vetoes is not None:
                choice(vetoes, ("on", "off"), "--vetoes")
            _deu(deu_file, model, seed, detail, format, out, capability, min_actors, missing_salience, bootstrap,
                 draws, ensemble_model, predictions, calibration, workers, scheduler, vetoes or "off",
                 chart_out)  # fmt: skip
            return
        given = [o for o, v in (("--capability", capability), ("--predictions", predictions),
                                ("--calibration", calibration), ("--ensemble-model", ensemble_model),
                                ("--workers", workers), ("--scheduler", scheduler)) if v]  # fmt: skip
        if given:
            raise DetenteError(f"{given[0]}: applies to a DEU data file only; expected `detente backtest DEU_FILE`")
        if delegations is not None:
            choice(delegations, ("collapse", "separate"), "--delegations")
        if vetoes is not None:
            choice(vetoes, ("on", "off"), "--vetoes")
        scenario = [*(paths or []), *(scenario or [])]
        lb = run_backtest(
            scenarios=scenario or None, models=model or None, seed=seed, delegations=delegations, vetoes=vetoes
        )
        if chart_out is not None:
            write_figure(lb.figure(), chart_out)

        def frames() -> dict[str, pd.DataFrame]:
            main = {"issues": lb.issues} if detail else {"leaderboard": lb.table}
            rest = {"leaderboard": lb.table, "issues": lb.issues, "secondary": lb.secondary, "failures": lb.failures}
            return {**main, **{k: v for k, v in rest.items() if k not in main}}

        if write_data(format, out, doc=lb.to_dict, frames=frames):
            return
        tables = [_leaderboard_table(lb)]
        if detail:
            tables.append(_detail_table(lb, lb.issues, "per-issue forecasts (the primary, scored outcomes)"))
            if len(lb.secondary):
                title = "against the secondary outcomes (a later horizon; not scored)"
                tables.append(_detail_table(lb, lb.secondary, title))
        if len(lb.failures):
            tables.append(_failures_table(lb))
        print_tables(tables, out)


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}" + ("" if k == 1 else "s")


def _pct(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.2f}"


def _leaderboard_table(lb: Any) -> Table:
    n_scen = len(lb.provenance["scenarios"])
    n_iss = sum(len(s["observed"]) for s in lb.provenance["scenarios"])
    t = Table(
        "model", "MAE\n%", "median\n%", "per\nscen. %", "issues", "wins", "beats\nbase", "in\nrange", "failed",
        title=f"back-test leaderboard · {_n(n_scen, 'scenario')}, {_n(n_iss, 'observed issue')} · seed "
        f"{lb.provenance['seed']}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )  # fmt: skip
    for col in t.columns:
        col.no_wrap = True
    for col in t.columns[1:]:
        col.justify = "right"
    for r in lb.table.itertuples(index=False):
        is_base = r.kind == "baseline"
        t.add_row(
            f"[i]{r.model}[/i]" if is_base else r.model,
            _pct(r.mae_pct),
            _pct(r.median_ae_pct),
            _pct(r.scenario_mae_pct),
            str(r.issues),
            "—" if is_base else f"{r.wins:g}",
            "—" if is_base else f"{r.beats_baseline:g}",
            f"{r.in_range}/{r.with_range}" if r.with_range else "—",
            str(r.failed) if not is_base else "",
        )
    t.caption = (
        "MAE: mean |forecast − observed| as % of the issue's scale width (per scen.: mean of the scenarios' means); "
        "wins: closest model per issue (ties shared); beats base: issues where the model is closer than the "
        "baseline (the status quo, or the scale midpoint where none is given); in range: inside the coded "
        "plausible range, out of the issues that have one · " + _scales(lb)
    )
    return t


def _scales(lb: Any) -> str:
    """The scale of every scored issue (scenario and issue), in one caption line."""
    return scale_caption(
        {f"{s['name']} {iid}": s["scales"][iid] for s in lb.provenance["scenarios"] for iid in s["observed"]}
    )


def _detail_table(lb: Any, frame: pd.DataFrame, title: str) -> Table:
    """One row per issue × model (models in leaderboard order, the baseline last); * marks the closest model.

    The first column names the case down its rows: scenario, issue, observed value [plausible range].
    """
    import pandas as pd

    order = {m: k for k, m in enumerate(lb.table["model"])}
    order["baseline"] = len(order)
    t = Table(
        "case", "model", "forecast", "error\n%", "in\nrange", "status",
        title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    for col in t.columns[:-1]:
        col.no_wrap = True
    t.columns[2].justify = t.columns[3].justify = "right"
    groups = list(frame.groupby(["scenario", "issue"], sort=False))
    for k, ((scen, iid), g) in enumerate(groups):
        g = g.sort_values("model", key=lambda c: c.map(order), kind="stable")
        best = g.loc[g["kind"] == "model", "error_pct"].min()
        rows = g.to_dict("records")
        r0 = rows[0]
        obs = f"observed {r0['observed']:g}"
        if not pd.isna(r0["range_low"]):
            obs += f" [{r0['range_low']:g}–{r0['range_high']:g}]"
        case = [str(scen), str(iid), obs]
        for n, r in enumerate(rows):
            last = n == len(rows) - 1
            label = "\n".join(case[n:]) if last else (case[n] if n < len(case) else "")
            mark = " *" if r["kind"] == "model" and abs(r["error_pct"] - best) <= 1e-9 else ""
            inr = "" if r["in_range"] is None or r["in_range"] is pd.NA else ("yes" if r["in_range"] else "no")
            t.add_row(
                label,
                f"[i]{r['model']}[/i]" if r["kind"] == "baseline" else f"{r['model']}{mark}",
                f"{r['forecast']:.4f}",
                f"{r['error_pct']:.2f}",
                inr,
                "midpoint" if str(r["status"]).startswith("scale midpoint") else str(r["status"]).replace("_", " "),
                end_section=last and k < len(groups) - 1,
            )
    t.caption = (
        "* the closest model on that issue (ties: all of them); |error| as % of the issue's scale width · "
        + _scales(lb)
    )
    return t


def _failures_table(lb: Any) -> Table:
    t = Table(
        "model", "scenario", "issue", "reason", title="failures (not scored)", box=box.SIMPLE_HEAD, pad_edge=False
    )
    for r in lb.failures.itertuples(index=False):
        t.add_row(str(r.model), str(r.scenario), "" if r.issue is None else str(r.issue), str(r.reason))
    return t


# ---- DEU --------------------------------------------------------------------------------------------------------
def _deu_path(paths: list[str]) -> str | None:
    """The DEU file among ``paths`` (there must then be exactly one path), else None."""
    from detente.scenario.deu import looks_like_deu, reject_almost_deu

    found = []
    for p in paths:
        f = Path(p)
        if f.is_file():
            with f.open("rb") as fh:
                head = fh.read(8192).decode("utf-8", "replace")
            if looks_like_deu(head):
                found.append(p)
            else:
                reject_almost_deu(head, p)
    if found and len(paths) > 1:
        raise DetenteError(f"{found[0]}: a DEU file is back-tested on its own; expected it as the only path")
    return found[0] if found else None


def _deu(
    path: str, model: list[str] | None, seed: int, detail: bool, format: str, out: Path | None,
    capability: str | None, min_actors: int, missing_salience: str, bootstrap: int, draws: int,
    ensemble_model: list[str] | None, predictions: Path | None, calibration: Path | None,
    workers: int | None = None, scheduler: str | None = None, vetoes: str = "off", chart: Path | None = None,
) -> None:  # fmt: skip
    from detente.cli.app import check_out
    from detente.scenario.deu_capability import DEFAULT_RULE
    from detente.validation.deu import deu_backtest

    choice(missing_salience, ("drop", "mean"), "--missing-salience")
    if predictions is not None:
        check_out(predictions, "--predictions")
        choice(predictions.suffix.lower() or "(none)", (".csv", ".json"), "--predictions suffix")
    if calibration is not None:
        check_out(calibration, "--calibration")
        choice(calibration.suffix.lower() or "(none)", (".png", ".svg", ".pdf"), "--calibration suffix")
        if draws == 0:
            raise DetenteError("--calibration: needs ensembles; expected --draws above 0")
    r = deu_backtest(
        path, models=model or None, capability=capability or DEFAULT_RULE, missing_salience=missing_salience,
        min_actors=min_actors, seed=seed, bootstrap=bootstrap, draws=draws,
        ensemble_models=ensemble_model or None, workers=workers, scheduler=scheduler, vetoes=vetoes,
    )  # fmt: skip
    # everything is computed before anything is written
    if predictions is not None:
        text = r.predictions_json() if predictions.suffix.lower() == ".json" else r.predictions_csv()
        write_output(text, predictions, "--predictions")
    if calibration is not None:
        write_figure(r.calibration_figure(), calibration)
    if chart is not None:
        write_figure(r.figure(), chart)

    def frames() -> dict[str, pd.DataFrame]:
        main = {"predictions": r.predictions} if detail else {"models": r.table}
        rest = {"models": r.table, "held_out": r.held_out, "predictions": r.predictions, "breakdowns": r.breakdowns,
                "coverage": r.coverage,
                "excluded": r.excluded, "failures": r.failures}  # fmt: skip
        return {**main, **{k: v for k, v in rest.items() if k not in main}}

    if write_data(format, out, doc=r.to_dict, frames=frames):
        return
    tables: list[Any] = [_deu_table(r, path)]
    if len(r.held_out):
        tables.append(_deu_held_out_table(r))
    tables.append(_deu_breakdown_table(r))
    if len(r.coverage):
        tables.append(_deu_coverage_table(r))
    if detail:
        tables.append(_deu_detail_table(r))
    notes = [f"{m}: {n}" for m, ns in r.provenance["notes"].items() for n in ns]
    ind = r.provenance["indifferent_actors"]
    if ind:
        props = sorted({x["proposal"] for x in ind})
        notes.insert(0, f"{len(props)} proposals have an actor with a position but salience 0 on every issue ("
                     f"{', '.join(props[:4])}{', …' if len(props) > 4 else ''})")  # fmt: skip
    if notes:
        t = Table("notes", box=box.SIMPLE_HEAD, pad_edge=False)
        for n in notes:
            t.add_row(n)
        tables.append(t)
    if len(r.failures):
        tables.append(_deu_failures_table(r))
    print_tables(tables, out)


def _deu_failures_table(r: Any) -> Table:
    """One row per model and reason (the proposal's id taken out of the reason), with the proposals it hit."""
    t = Table("model", "proposals", "reason", title="failures (not scored; all of them in the JSON output)",
              box=box.SIMPLE_HEAD, pad_edge=False)  # fmt: skip
    groups: dict[tuple[str, str], list[str]] = {}
    for f in r.failures.itertuples(index=False):
        where = str(f.proposal) + ("" if f.issue is None else f" {f.issue}")
        reason = str(f.reason).replace(f"{f.proposal}: ", "")
        groups.setdefault((str(f.model), reason), []).append(where)
    for (model, reason), hits in groups.items():
        shown = ", ".join(hits[:3]) + (f" and {len(hits) - 3} more" if len(hits) > 3 else "")
        t.add_row(model, f"{len(hits)}: {shown}", reason)
    return t


def _num(x: Any, nd: int = 2) -> str:
    import pandas as pd

    return "—" if x is None or pd.isna(x) else f"{x:.{nd}f}"


def _deu_table(r: Any, path: str) -> Table:
    p = r.provenance
    title = (f"DEU back-test · {Path(path).name}: {p['proposals']} proposals, {p['issues_scored']} of {p['issues']} "
             f"issues scored · capability {p['capability_rule']} · seed {p['seed']}"
             + (f" · vetoes on: {p['veto_issues']} issues decided by unanimity" if "vetoes" in p else ""))  # fmt: skip
    return _deu_models_table(r, r.table, title)


def _deu_held_out_table(r: Any) -> Table:
    f = r.provenance["fit"]
    title = (f"held out: the {f['held_out_proposals']} proposals ({f['held_out_issues']} issues) that none of the "
             "models was fitted on, every model on the same issues — the independent check")  # fmt: skip
    return _deu_models_table(r, r.held_out, title)


def _deu_models_table(r: Any, frame: Any, title: str) -> Table:
    import pandas as pd

    p = r.provenance
    lvl = p["bootstrap"]["level"]
    t = Table(
        "model", "MAE", "n", "RMSE", "median", "within\n10", "beats\nref.", f"MAE − compromise\n[{lvl:.0%} interval]",
        title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    for col in t.columns:
        col.no_wrap = True
    for col in t.columns[1:]:
        col.justify = "right"
    for x in frame.itertuples(index=False):
        if x.model == "compromise":
            diff = "(the reference)"
        elif pd.isna(x.diff_vs_compromise):
            diff = "—"
        else:
            star = "" if pd.isna(x.significant) or x.significant else "  n.s."
            diff = f"{x.diff_vs_compromise:+.2f} [{x.diff_lo:+.2f}, {x.diff_hi:+.2f}]{star}"
        name = f"[i]{x.model}[/i]" if x.kind == "baseline" else x.model
        t.add_row(
            name + (" *" if x.in_sample else ""), _num(x.mae), str(x.n), _num(x.rmse), _num(x.median_ae),
            _num(x.within_10 * 100, 0) + "%", _num(x.beats_reference * 100, 0) + "%", diff,
        )  # fmt: skip
    t.caption = (
        f"points on each issue's 0–100 scale; {p['inclusion']}; beats ref.: closer than the reference point (of "
        f"{int(frame['n_reference'].max())} issues with one); interval: {p['bootstrap']['replicates']} bootstrap "
        "replicates over proposals, n.s. = holds 0"
    )
    ins = frame[frame["in_sample"] > 0]
    if len(ins):
        fits = sorted({p["fit"]["fitted_on"][m] for m in ins["model"]})
        t.caption += (
            "\n* in sample: " + ", ".join(f"{x.model} on {x.in_sample} of its {x.n} issues" for x in ins.itertuples())
            + " — chosen on these proposals (" + ", ".join(f"detente/data/fits/{f}.txt" for f in fits)
            + "), so these errors flatter them; cross-validated figures: docs/snap-compromise.md"
        )
    return t


def _deu_breakdown_table(r: Any) -> Table:
    models = [m for m in r.table["model"] if m != "reference-point"]
    t = Table("by", "group", "n", *models, title="MAE by wave, procedure, voting rule and number of actors",
              box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)  # fmt: skip
    for col in t.columns:
        col.no_wrap = True
    for col in t.columns[2:]:
        col.justify = "right"
    b = r.breakdowns
    for dim, d in b.groupby("dimension", sort=False):
        wide = d.pivot_table(index="group", columns="model", values="mae", sort=False)
        n = d.groupby("group", sort=False)["n"].max()
        for k, grp in enumerate(wide.index):
            t.add_row(str(dim) if k == 0 else "", str(grp), str(int(n[grp])),
                      *[_num(wide.loc[grp].get(m)) for m in models], end_section=k == len(wide.index) - 1)  # fmt: skip
    return t


def _deu_coverage_table(r: Any) -> Table:
    c = r.coverage
    levels = sorted(c["level"].unique())
    t = Table("model", *[f"{lv:.0%}" for lv in levels], "n",
              title=f"interval coverage: share of outcomes inside the ensembles' central intervals "
              f"({r.provenance['ensembles']['draws']} draws per proposal)",
              box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)  # fmt: skip
    for m, d in c.groupby("model", sort=False):
        cov = d.set_index("level")["coverage"]
        t.add_row(str(m), *[f"{cov[lv]:.0%}" for lv in levels], str(int(d["n"].iloc[0])))
    t.caption = "a calibrated ensemble covers each nominal level; the perturbation is in the JSON provenance"
    return t


def _deu_detail_table(r: Any) -> Table:
    pr = r.predictions
    wide = pr.pivot_table(index=["proposal", "issue"], columns="model", values="forecast", sort=False)
    obs = pr.groupby(["proposal", "issue"], sort=False)["observed"].first()
    models = [m for m in r.table["model"] if m in wide.columns]
    t = Table("proposal", "issue", "observed", *models, title="per-issue forecasts", box=box.SIMPLE_HEAD,
              pad_edge=False, collapse_padding=True)  # fmt: skip
    for (prop, iss), row in wide.iterrows():
        t.add_row(str(prop), str(iss), f"{obs[(prop, iss)]:g}", *[_num(row.get(m), 1) for m in models])
    return t
