"""``detente random-scenario``: KTAB's random spatial scenarios (``smpc --euSMP``), reproduced from its PRNG.

``detente scenarios random ...`` is the same command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from detente.cli.app import Out, app, guarded, options_named, output_format, write_output


@app.command("random-scenario", hidden=True)  # the same command as `detente scenarios random`, kept for scripts
def random_scenario(
    actors: Annotated[
        int | None, typer.Option("--actors", "-n", help="number of actors (3-250); omit with --dims to draw it")
    ] = None,
    dims: Annotated[
        int | None, typer.Option("--dims", "-d", help="number of dimensions (issues); omit with --actors to draw it")
    ] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", "-s", min=0, max=2**64 - 1, help="KTAB PRNG seed (unsigned 64-bit; default: KTAB's default seed)"
        ),
    ] = 15455440707583219804,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv (KTAB's SMP CSV) or yaml (detente scenario; default: --out's suffix)"),
    ] = None,
    out: Out = None,
) -> None:
    """A KTAB-style random spatial scenario (same PRNG and draws as KTAB: same seed, same scenario).

    With --actors and --dims: KTAB's SMPModel::randomSMP(actors, dims). Without both: `smpc --euSMP --seed S`, which
    draws the sizes too (4-25 actors, 1-3 dimensions).
    """
    with guarded():
        from detente.errors import ParameterError
        from detente.scenario.ktab_io import write_ktab_csv
        from detente.scenario.ktab_random import eu_smp, random_smp

        fmt, _ = output_format(fmt, out, ("csv", "yaml"), default="yaml")
        if (actors is None) != (dims is None):
            raise ParameterError(
                "give both --actors and --dims, or neither (then the sizes are drawn as KTAB's --euSMP)"
            )
        with options_named({"n_actors": "--actors", "n_dims": "--dims"}):
            gen = eu_smp(seed) if actors is None or dims is None else random_smp(actors, dims, seed)
        scenario = gen.to_scenario()
        if fmt == "csv":
            text = write_ktab_csv(scenario)
        else:
            import yaml

            text = yaml.safe_dump(
                scenario.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True
            )
        write_output(text, out)
