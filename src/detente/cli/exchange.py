"""``detente exchanges``: the realised exchanges of Stokman's exchange model, round by round."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.app import Out, Scale, Seed, Sets, Variants, app, guarded, output_format, print_tables, write_data
from detente.display import scale_caption
from detente.errors import ParameterError


@app.command()
def exchanges(
    scenario: Annotated[str, typer.Argument(help="a built-in scenario name or a scenario file (e.g. a decide CSV)")],
    round: Annotated[int | None, typer.Option("--round", min=1, help="show only this round")] = None,
    rounds: Annotated[int | None, typer.Option("--rounds", min=1, help="rounds to run (default 10)")] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="default, or decide_compat (decide-exchange-model's move budget)")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="model parameter key=value, e.g. p=0.3")
    ] = None,
    seed: Seed = None,
    variant: Variants = None,
    set_: Sets = None,
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", metavar="table|csv|json|xlsx", help="output format (default: --out's suffix, else table)"),
    ] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="override format detection")] = None,
    scale: Scale = None,
    out: Out = None,
) -> None:
    """List the exchanges of voting positions the exchange model realises, in order, per round."""
    from detente.cli.main_commands import run_forecast

    with guarded():
        format, _ = output_format(format, out, ("table", "csv", "json", "xlsx"))
        if round is not None and rounds is not None and round > rounds:
            raise ParameterError(f"--round {round}: expected a round ≤ --rounds {rounds}")
        if round is not None and rounds is None:
            rounds = round  # later rounds cannot change earlier ones
        _, fc = run_forecast(
            scenario, "exchange", preset, rounds, param, seed, input_format, variants=variant, sets=set_
        )
        docs: list[dict[str, Any]] = fc.output("exchange_rounds")
        if round is not None:
            if round > len(docs):
                raise ParameterError(f"--round {round}: the model stopped after {len(docs)} rounds")
            docs = [d for d in docs if d["round"] == round]
        notes: list[str] = fc.output("notes", [])

        def doc() -> dict[str, Any]:
            d = {
                **fc.provenance(),
                **({"what_if": fc.output("what_if")} if fc.output("what_if") is not None else {}),
                "rounds": docs,
                "ties": fc.output("ties"),
            }
            if notes:
                d["notes"] = notes
            return d

        table = fc.output("exchanges")
        table = table[table["draw"] == 0].drop(columns="draw")
        if round is not None:
            table = table[table["round"] == round]
        if write_data(format, out, doc=doc, frames=lambda: {"exchanges": table}):
            return
        _print(docs, fc.scenario, out, notes, scale_caption(fc.scales))


def _print(docs: list[dict[str, Any]], name: str, out: Path | None, notes: list[str], scales: str) -> None:
    tables = []
    for d in docs:
        t = Table(
            "#", "actor 1", "supplies", "move", "actor 2", "supplies", "move", "gain",
            title=f"{name} · round {d['round']} · {d['candidates']} candidates · {len(d['exchanges'])} realised",
        )  # fmt: skip
        for e in d["exchanges"]:
            m1, m2 = e["move_1"], e["move_2"]
            t.add_row(
                str(e["order"]),
                e["actor_1"],
                e["supply_1"],
                f"{m1['from']:.4g} → {m1['to']:.4g}",
                e["actor_2"],
                e["supply_2"],
                f"{m2['from']:.4g} → {m2['to']:.4g}",
                f"{e['gain']:.5f}" + (" (tie)" if e["tied_with"] else ""),
            )
        tables.append(t)
    if tables:
        tables[-1].caption = "\n".join([*(f"note: {n}" for n in notes), scales])
        tables[-1].caption_justify = "left"
    print_tables(tables, out)
