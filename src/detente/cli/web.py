"""``detente serve`` (the web app) and ``detente report`` (one self-contained HTML report)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.cli.app import Ref, Seed, Sets, Variants, app, guarded, load_what_if, options_named, write_output
from detente.cli.runs import Store


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="the port to listen on")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="the address to listen on (127.0.0.1: this machine only; 0.0.0.0: every one)")
    ] = "127.0.0.1",
    store: Store = None,
) -> None:
    """Serve the web app: the page at http://HOST:PORT/ and the REST API's OpenAPI document at /openapi.json.

    Every run made in the page is recorded in the run store (`detente runs list`). Stop with Ctrl-C.
    """
    import importlib.util

    from detente.errors import DetenteError

    with guarded():
        missing = [m for m in ("fastapi", "uvicorn", "sqlalchemy", "plotly", "multipart") if
                   importlib.util.find_spec(m) is None]
        if missing:
            raise DetenteError(f"the web app needs {', '.join(missing)}: pip install 'detente[web]'")
        import socket

        import uvicorn

        from detente.web.app import create_app

        try:  # a port in use or an address not of this machine: one line, before anything starts
            with socket.create_server((host, port)):
                pass
        except OSError as e:
            import os

            why = os.strerror(e.errno) if e.errno else str(e)
            raise DetenteError(f"--host {host!r} --port {port}: cannot listen there ({why}); expected a free port on "
                               "an address of this machine") from None

        with options_named({"url": "--store"}):
            web = create_app(store)
        typer.echo(f"detente: serving http://{host}:{port}/ (run store {web.state.store!r}); Ctrl-C stops", err=True)
        uvicorn.run(web, host=host, port=port, log_level="warning")


@app.command()
def report(
    scenario: Ref,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="the HTML file to write (default: SCENARIO-report.html)")
    ] = None,
    model: Annotated[
        str, typer.Option("--model", "-m", help="models side by side: a comma-separated list, or 'all'")
    ] = "all",
    seed: Seed = None,
    variant: Variants = None,
    set_: Sets = None,
) -> None:
    """Write one self-contained HTML report: the scenario with the source of every number, every model's forecast
    side by side with charts, the claims scorecard where available, and provenance. It opens offline and prints."""
    from detente.errors import ParameterError
    from detente.report.html import report_html

    with guarded():
        s = load_what_if(scenario, None, variant, set_)
        if out is None:
            out = Path(f"{''.join(c if c.isalnum() or c in '-_' else '-' for c in s.name)[:80]}-report.html")
        if Path(out).suffix.lower() not in (".html", ".htm"):
            raise ParameterError(f"--out {str(out)!r}: expected a file ending in .html")
        models = [m.strip() for m in model.split(",") if m.strip()]
        write_output(report_html(s, models=models, seed=seed), out)
        typer.echo(f"wrote {out}", err=True)
