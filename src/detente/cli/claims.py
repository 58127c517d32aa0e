"""``detente claims``: the claims scorecard (verdicts, sentences, charts, glossary) for a scenario's ``claims:``;
``detente claims-check``: validate a scenario's claims and estimate the work."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer

from detente.cli.app import app, choice, guarded, load_scenario, write_output

FORMATS = ("text", "json", "html", "png")


@app.command("claims")
def claims_command(
    scenario: Annotated[str, typer.Argument(help="scenario name (e.g. korea-2019) or YAML file with a claims: list")],
    format: Annotated[str | None, typer.Option("--format", "-f", help="text, json, html or png")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write here (suffix .txt/.json/.html/.png)")] = None,
    claim: Annotated[list[str] | None, typer.Option("--claim", help="only this claim id (repeatable; recomputes)")] = None,
    recompute: Annotated[bool, typer.Option("--recompute", help="compute instead of reading the shipped result")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="a reduced configuration; verdicts are marked as quick")] = False,
    static: Annotated[bool, typer.Option("--static/--no-static", help="run the stakeholder models' what-ifs")] = True,
    seed: Annotated[int, typer.Option("--seed", min=0, help="seed of the quasi-Monte Carlo design")] = 2019,
    replicates: Annotated[int | None, typer.Option("--replicates", min=2, help="independent scrambles")] = None,
    draws: Annotated[
        int | None, typer.Option("--draws", min=1, help="base points per replicate of the Sobol' design (a power of 2) for every claim; the verdict draws "
                   "start there (at least 4) and double until the shares settle (at most 16 or this)")
    ] = None,
    tipping: Annotated[
        int | None, typer.Option("--tipping", min=0, help="parameters searched for tipping points per claim")
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Dask LocalCluster worker processes")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="address of a Dask scheduler")] = None,
) -> None:
    """Test a scenario's claims: per claim the share of plausible assumptions where it holds, its verdict, tipping
    points and evidence, as a one-page scorecard (text, HTML, PNG) or JSON. korea-2019 ships a precomputed result
    (`--recompute` recomputes it; docs/scorecard.md gives the time)."""
    with guarded():
        from dataclasses import replace

        from detente.claims import QUICK, Config, compute, dumps, shipped
        from detente.claims.page import html_page, png, text
        from detente.claims.run import StaleResultError
        from detente.errors import ParameterError

        fmt = format
        if fmt is None and out is not None:
            fmt = {".json": "json", ".html": "html", ".htm": "html", ".png": "png", ".txt": "text"}.get(
                out.suffix.lower()
            )
            if fmt is None:
                raise ParameterError(f"--out {str(out)[:80]!r}: unknown file type; expected .txt, .json, .html or .png")
        fmt = choice(fmt or "text", FORMATS, "--format")
        if fmt == "png" and out is None:
            raise ParameterError("--format png writes an image: give --out FILE.png")
        if draws is not None and draws & (draws - 1):
            raise ParameterError(f"--draws {draws}: expected a power of 2 (1, 2, 4, 8, …)")
        sc = load_scenario(scenario)
        cfg = QUICK if quick else Config()
        cfg = replace(cfg, seed=seed)
        if replicates is not None:
            cfg = replace(cfg, replicates=replicates)
        if draws is not None:
            cfg = replace(cfg, base=draws, base_fixed=draws, verdict_max=max(cfg.verdict_max, draws))
        if tipping is not None:
            cfg = replace(cfg, tipping=tipping)
        custom = quick or claim or recompute or seed != 2019 or replicates or draws or not static or tipping is not None
        doc = None
        if not custom:
            try:
                doc = shipped(sc)
            except StaleResultError as e:
                import sys

                print(f"error: {e}", file=sys.stderr)
                raise typer.Exit(3) from None
        if doc is None:
            t0 = time.process_time()
            w0 = time.perf_counter()
            doc = compute(sc, cfg, only=claim, workers=workers, scheduler=scheduler, static=static, quick=quick)
            import sys

            print(
                f"computed {len(doc['claims'])} claims in {time.perf_counter() - w0:.1f} s "
                f"(this process's CPU {time.process_time() - t0:.1f} s)",
                file=sys.stderr,
            )
        if fmt == "json":
            write_output(dumps(doc), out)
        elif fmt == "html":
            write_output(html_page(doc), out)
        elif fmt == "png":
            write_output(png(doc), out)
        else:
            # to the terminal: as wide as it is (at most 100 columns); to a file: 100 columns
            width = 100 if out is not None else max(40, min(100, shutil.get_terminal_size((100, 24)).columns))
            write_output(text(doc, width=width), out)


@app.command("claims-check")
def claims_check(
    scenario: Annotated[str, typer.Argument(help="scenario name or YAML file with a claims: list")],
) -> None:
    """Validate a scenario's claims (names, priors, rules, sources) and print the evaluations a run needs."""
    with guarded():
        from detente.claims import Config, claims_of
        from detente.claims.evaluate import varied
        from detente.claims.rules import candidates, expand
        from detente.claims.verdict import evaluations_at_most, group_index, searches

        sc = load_scenario(scenario)
        cl = claims_of(sc)
        cfg = Config()
        lines = [f"{sc.name}: {len(cl)} claims, valid"]
        for c in cl:
            names = tuple(varied(c))
            _, groups = group_index(names)
            n = cfg.base if searches(c) else cfg.base_fixed
            solves = 0
            seen = set()
            for h in c.hypotheses:
                for r in (h.a, h.b):
                    if r is not None:
                        e = expand(r, c.rules)
                        key = e.model_dump_json()
                        if key not in seen:
                            seen.add(key)
                            solves += len(candidates(e, c.rules))
            evals = evaluations_at_most(cfg, n, len(groups))
            lines.append(
                f"  claim-{c.id}: {len(c.hypotheses)} hypotheses, {len(names)} parameters varied in "
                f"{len(groups)} groups, at most {evals} parameter points x up to {solves} rule solutions"
            )
        write_output("\n".join(lines), None)


__all__ = ["claims_check", "claims_command", "FORMATS"]
