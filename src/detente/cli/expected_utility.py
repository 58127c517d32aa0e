"""``detente perspective``: the expected-utility model's quadrant chart and table for one actor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente.cli.app import (
    Scale,
    Sets,
    Variants,
    app,
    console,
    guarded,
    load_what_if,
    output_format,
    parse_params,
    print_tables,
    write_data,
    write_figure,
)
from detente.display import scale_caption


@app.command()
def perspective(
    scenario: Annotated[str, typer.Argument(help="a built-in scenario name or a scenario file")],
    actor: Annotated[str, typer.Option("--actor", "-a", help="the focal actor's id")],
    issue: Annotated[str | None, typer.Option("--issue", "-i", help="issue id (default: the first issue)")] = None,
    round: Annotated[int, typer.Option("--round", "-r", min=1, help="the round whose values to show (1 = first)")] = 1,
    preset: Annotated[
        str | None, typer.Option("--preset", help="expected-utility preset (default, scholz_compat)")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="model parameter key=value (repeatable)")
    ] = None,
    variant: Variants = None,
    set_: Sets = None,
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", metavar="table|csv|json|xlsx", help="output format (default: --out's suffix, else table)"),
    ] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="override format detection")] = None,
    scale: Scale = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="FILE.png/.svg/.pdf: the chart (the table is printed); FILE.csv/.json/.xlsx/.txt: the data",
        ),
    ] = None,
) -> None:
    """Bueno de Mesquita's perspective chart: E^i(U_ij) against E(U_ji) for every other actor j."""
    from detente.models.base import _jsonable, get, issue_scales
    from detente.models.expected_utility import ExpectedUtility
    from detente.models.expected_utility import perspective as perspective_table
    from detente.scenario.arrays import to_arrays

    with guarded():
        format, chart = output_format(format, out, ("table", "csv", "json", "xlsx"), charts=True)
        s = load_what_if(scenario, input_format, variant, set_)
        kw = parse_params(param)
        if preset is not None:
            kw["preset"] = preset
        model = get("expected-utility", **kw)
        assert isinstance(model, ExpectedUtility)
        arrays = to_arrays(s)
        tab = perspective_table(arrays, actor, issue=issue, round=round, model=model)
        shown = str(tab["issue"].iloc[0]) if len(tab) else (issue or arrays.issues[0])
        j = arrays.issues.index(shown) if shown in arrays.issues else 0
        scales = issue_scales(arrays.issues[j : j + 1], arrays.lower[j : j + 1], arrays.upper[j : j + 1])
        if chart and out is not None:
            from detente.report.perspective import perspective_figure

            write_figure(perspective_figure(tab, actors=[a.id for a in s.actors]), out)
        data_out = None if chart else out
        if not write_data(
            format,
            data_out,
            doc=lambda: {
                "scenario": s.name,
                "scenario_hash": arrays.scenario_hash,
                "model": model.name,
                "parameters": model.parameters(),
                "actor": actor,
                "round": round,
                "scales": scales,
                "perspective": _jsonable(tab.to_dict(orient="records")),
            },
            frames=lambda: {"perspective": tab},
        ):
            t = Table(
                title=f"{s.name} · {shown} · {actor}'s perspective, round {round}"
                f" (r_i = {float(tab['r_i'].iloc[0]) if len(tab) else float('nan'):.4f})",
                caption=scale_caption(scales),
            )
            t.add_column("other", no_wrap=True)
            for head in ("x_j", "E^i(U_ij)", "E(U_ji) by i", "E^j(U_ji)", "r_j"):
                t.add_column(head, justify="right", no_wrap=True)
            t.add_column("region")
            for row in tab.itertuples(index=False):
                t.add_row(
                    str(row.other),
                    f"{row.position:.4g}",
                    f"{row.eu_i_challenges_j:.4f}",
                    f"{row.eu_j_challenges_i:.4f}",
                    f"{row.eu_j_own:.4f}",
                    f"{row.r_j:.4f}",
                    str(row.region),
                )
            print_tables([t], data_out)
        if out is not None:
            console.print(f"wrote {out}")
