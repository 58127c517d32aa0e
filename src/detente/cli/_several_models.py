"""``--model all`` (or a comma-separated list) for the uncertainty commands: one run per model, side by side.

Each model that can run the scenario runs with its defaults on the same seed; the others are listed with the reason
they cannot run it. The outputs: JSON ``{"scenario", "runs": [one document per model], "cannot_run"}``; CSV and
Excel one tidy table with a ``model`` column; the text table the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from detente.cli.app import dumps, print_tables, write_data, write_output
from detente.display import scale_caption
from detente.errors import ParameterError


def model_names(model: str) -> list[str]:
    """The models ``--model`` names: one, a comma-separated list, or ``all``."""
    from detente.models.base import available

    if model == "all":
        return list(available())
    return [m.strip() for m in model.split(",") if m.strip()] or [model]


def refuse_settings(preset: str | None, param: list[str] | None, chart: bool) -> None:
    """Several models keep their defaults, and a chart draws one model: say so before any work."""
    if preset is not None or param:
        raise ParameterError("--preset/--param: expected a single --model (each model keeps its defaults)")
    if chart:
        raise ParameterError("--out CHART: a chart draws one model; expected a single --model, or a data file")


def run_several(s: Any, names: list[str], run: Callable[[str], Any]) -> tuple[list[tuple[str, Any]], list[dict]]:
    """``run(name)`` for every model that can run ``s``; the others with their reason."""
    from detente.models.base import runnable
    from detente.scenario.arrays import to_arrays

    ok, skipped = runnable(to_arrays(s), names)
    runs = [(m.name, run(spec)) for spec, m in ok]
    return runs, skipped


def emit_several(
    s: Any,
    runs: list[tuple[str, Any]],
    skipped: list[dict],
    format: str,
    out: Path | None,
    *,
    frame: Callable[[Any], Any],
    sheet: str,
    title: str,
    columns: list[tuple[str, str, Callable[[Any], str]]],
    what_if: list[dict] | None = None,
) -> None:
    """Write the runs: JSON (each run's ``to_dict``), CSV/XLSX (``frame`` of each, a ``model`` column first), or a
    table of ``columns`` = (header, frame column, formatter) rows."""
    import pandas as pd

    def tidy() -> Any:
        parts = []
        for name, r in runs:
            df = frame(r).copy()
            df.insert(0, "model", name)
            parts.append(df)
        return pd.concat(parts, ignore_index=True)

    if format == "json":
        doc: dict[str, Any] = {"scenario": s.name, "runs": [r.to_dict() for _, r in runs], "cannot_run": skipped}
        if what_if:
            doc["what_if"] = what_if
        write_output(dumps(doc), out)
        return
    if write_data(format, out, frames=lambda: {sheet: tidy()}):
        for k in skipped:
            typer.echo(f"note: model {k['model']!r} cannot run {s.name}: {k['reason']}", err=True)
        return
    df = tidy()
    t = Table("model", *[h for h, _, _ in columns], title=title, caption=scale_caption(runs[0][1].provenance["scales"]))
    for c in t.columns:  # ids and numbers: never cut (the table is printed whole)
        c.no_wrap = True
    for c in t.columns[1 + sum(1 for _, _, f in columns if f is str) :]:
        c.justify = "right"
    for rec in df.to_dict(orient="records"):
        t.add_row(str(rec["model"]), *[fmt(rec.get(col)) for _, col, fmt in columns])
    tables: list[Any] = [t]
    if skipped:
        left = Table("model", "cannot run because", title="models not run", box=None)
        for x in skipped:
            left.add_row(x["model"], x["reason"])
        tables.append(left)
    print_tables(tables, out)
