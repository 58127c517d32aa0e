"""``detente backtest``: every model on every negotiation with a known outcome; the leaderboard."""

from __future__ import annotations

import math
from typing import Annotated, Any

import pandas as pd
import typer
from rich import box
from rich.table import Table

from detente.cli.app import Out, app, guarded, output_format, print_tables, write_data


@app.command()
def backtest(
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
        str | None, typer.Option("--format", "-f", help="table, csv, json or xlsx (default: --out's suffix, else table)")
    ] = None,
    out: Out = None,
) -> None:
    """Back-test the models on negotiations with observed outcomes and rank them against a naive baseline.

    Errors are |forecast − observed| as a percentage of each issue's scale width. The baseline forecasts the status
    quo (the scale midpoint where a scenario gives none). csv writes the leaderboard, or with --detail the per-issue
    rows; xlsx writes the leaderboard and the per-issue rows as sheets; json writes everything.
    """
    from detente.validation import backtest as run_backtest

    with guarded():
        format, _ = output_format(format, out, ("table", "csv", "json", "xlsx"))
        lb = run_backtest(scenarios=scenario or None, models=model or None, seed=seed)

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
        "plausible range, out of the issues that have one"
    )
    return t


def _detail_table(lb: Any, frame: pd.DataFrame, title: str) -> Table:
    """One row per issue × model (models in leaderboard order, the baseline last); * marks the closest model.

    The first column names the case down its rows: scenario, issue, observed value [plausible range].
    """
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
    t.caption = "* the closest model on that issue (ties: all of them); |error| as % of the issue's scale width"
    return t


def _failures_table(lb: Any) -> Table:
    t = Table(
        "model", "scenario", "issue", "reason", title="failures (not scored)", box=box.SIMPLE_HEAD, pad_edge=False
    )
    for r in lb.failures.itertuples(index=False):
        t.add_row(str(r.model), str(r.scenario), "" if r.issue is None else str(r.issue), str(r.reason))
    return t
