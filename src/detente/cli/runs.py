"""``detente runs list/show/diff/delete``: the run store (runs the web app recorded) on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.app import app, dumps, guarded, output_format, print_tables, write_data, write_output

runs_app = typer.Typer(
    help="The run store: every run the web app (`detente serve`) recorded; list, show, diff and delete them.",
    no_args_is_help=True,
)
app.add_typer(runs_app, name="runs")

Store = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="URL",
        help="the store: a SQLAlchemy URL (sqlite:///FILE, postgresql+psycopg://HOST/DB) or a SQLite file; default "
        "$DETENTE_STORE, else runs.sqlite in detente's user data folder",
    ),
]
Format = Annotated[
    str | None, typer.Option("--format", "-f", metavar="table|json|csv", help="output format (default: table)")
]
Out = Annotated[Path | None, typer.Option("--out", "-o", help="write to this file (.json, .csv or .txt)")]


def open_store(store: str | None) -> Any:
    """The run store of ``--store``; a missing SQLAlchemy is one error line naming the extra to install."""
    import importlib.util

    from detente.errors import DetenteError

    if importlib.util.find_spec("sqlalchemy") is None:
        raise DetenteError("the run store needs SQLAlchemy: pip install 'detente[web]'")
    from detente.options import with_options
    from detente.store import RunStore

    try:
        return RunStore(store)
    except DetenteError as e:
        raise with_options(e, {"url": "--store"}, quoted_only=True) from None


@runs_app.command("list")
def list_(
    store: Store = None,
    kind: Annotated[str | None, typer.Option("--kind", help="only runs of this kind (forecast, compare, ...)")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100000, help="at most this many, newest first")] = 50,
    format: Format = None,
    out: Out = None,
) -> None:
    """List the stored runs, newest first: id, when, kind, scenario, model, seed and how long each took."""
    with guarded():
        fmt, _ = output_format(format, out, ("table", "json", "csv"))
        rows = open_store(store).list(limit=limit, kind=kind)
        if fmt == "json":
            write_output(dumps(rows), out)
            return
        if fmt == "csv":
            import pandas as pd

            cols = ["id", "created", "kind", "scenario", "scenario_hash", "model", "seed", "version", "duration_s"]
            write_data("csv", out, frames=lambda: {"runs": pd.DataFrame(rows, columns=cols)})
            return
        t = Table("id", "created (UTC)", "kind", "scenario", "model", "seed", "seconds", "edits",
                  title=f"{len(rows)} run(s), newest first")
        for r in rows:
            t.add_row(r["id"], r["created"][:19].replace("T", " "), r["kind"], r["scenario"], r["model"],
                      "" if r["seed"] is None else str(r["seed"]), f"{r['duration_s']:.2f}", str(len(r["edits"])))
        print_tables([t], out)


@runs_app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="the run's id (see `detente runs list`)")],
    store: Store = None,
    format: Format = None,
    out: Out = None,
) -> None:
    """One run: its settings, the what-if edits, and (``--format json``) the whole record with results and scenario."""
    from detente.store.runs import outcomes_of

    with guarded():
        fmt, _ = output_format(format, out, ("table", "json"))
        run = open_store(store).get(run_id)
        if fmt == "json":
            write_output(dumps(run), out)
            return
        t = Table("field", "value", title=f"run {run['id']}", show_header=False)
        for f in ("kind", "created", "scenario", "scenario_hash", "model", "seed", "version", "duration_s"):
            t.add_row(f, str(run[f]))
        t.add_row("parameters", dumps(run["parameters"]).replace("\n", " ") if run["parameters"] else "(defaults)")
        t.add_row("edits", "; ".join(_edit_text(e) for e in run["edits"]) or "(none)")
        tables: list[Any] = [t]
        outs = outcomes_of(run["results"])
        if outs:
            o = Table("model", "issue", "outcome", title="outcomes")
            o.columns[2].justify = "right"
            for (m, i), x in outs.items():
                o.add_row(m, i, f"{x:.4f}")
            tables.append(o)
        print_tables(tables, out)


def _edit_text(e: Any) -> str:
    if isinstance(e, dict):
        return " ".join(f"{k}={v}" for k, v in e.items() if v is not None)
    return str(e)


@runs_app.command("diff")
def diff(
    first: Annotated[str, typer.Argument(help="the first run's id")],
    second: Annotated[str, typer.Argument(help="the second run's id")],
    store: Store = None,
    format: Format = None,
    out: Out = None,
) -> None:
    """Two runs compared: the settings that differ, then each outcome both give with the difference (second − first)."""
    with guarded():
        fmt, _ = output_format(format, out, ("table", "json"))
        d = open_store(store).diff(first, second)
        if fmt == "json":
            write_output(dumps(d), out)
            return
        s = Table("setting", "first", "second", title=f"settings: {first} against {second}")
        for row in d["settings"]:
            s.add_row(row["field"], _short(row["first"]), _short(row["second"]))
        if not d["settings"]:
            s.add_row("(all the same)", "", "")
        o = Table("model", "issue", "first", "second", "second − first", title="outcomes")
        for c in o.columns[2:]:
            c.justify = "right"
        for row in d["outcomes"]:
            o.add_row(row["model"], row["issue"], f"{row['first']:.4f}", f"{row['second']:.4f}",
                      f"{row['difference']:+.4f}")
        tail = f"{d['results_changed']} value(s) of the results differ" + (
            f"; {len(d['only_in_one'])} outcome(s) in one run only" if d["only_in_one"] else "")
        print_tables([s, o if d["outcomes"] else None, tail], out)


def _short(v: Any, n: int = 60) -> str:
    from detente.errors import cap

    return cap(v if isinstance(v, str) else dumps(v).replace("\n", " "), n)


@runs_app.command("delete")
def delete(
    run_id: Annotated[list[str], typer.Argument(help="the id of each run to delete")],
    store: Store = None,
) -> None:
    """Delete runs by id (all of them checked first: an unknown id deletes nothing)."""
    with guarded():
        db = open_store(store)
        for r in run_id:
            db.get(r)
        for r in run_id:
            db.delete(r)
        typer.echo(f"deleted {len(run_id)} run(s)")
