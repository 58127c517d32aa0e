"""The uncertainty commands: ``detente ensemble``, ``detente compare``, ``detente sensitivity``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli._several_models import emit_several, model_names, refuse_settings, run_several
from detente.cli._tables import column
from detente.cli.app import (
    InputFormat,
    Ref,
    Scale,
    Seed,
    Sets,
    Variants,
    app,
    check_out,
    guarded,
    load_what_if,
    output_format,
    parse_params,
    print_tables,
    write_data,
    write_figure,
    write_output,
)
from detente.display import scale_caption
from detente.errors import DetenteError, ParameterError

ModelOpt = Annotated[
    str,
    typer.Option(
        "--model", "-m", help="model name (see `detente models`), a comma-separated list, or 'all' (side by side)"
    ),
]
Preset = Annotated[str | None, typer.Option("--preset", help="named parameter preset of the model")]
Param = Annotated[list[str] | None, typer.Option("--param", "-p", help="model parameter key=value (repeatable)")]
Perturb = Annotated[
    Path | None,
    typer.Option("--perturb", help="perturbation spec YAML/JSON (default: the scenario's, else the built-in default)"),
]
Chunk = Annotated[
    int | None,
    typer.Option("--chunk", min=1, help="draws (Sobol: model runs) per model call, bounds memory; ensembles: ≤ 1000"),
]
Format = Annotated[
    str | None,
    typer.Option(
        "--format", "-f", metavar="table|csv|json|xlsx", help="output format (default: --out's suffix, else table)"
    ),
]
FORMATS = ("table", "csv", "json", "xlsx")
NoProgress = Annotated[
    bool,
    typer.Option("--no-progress", help="no progress bar (it shows only on a terminal; `detente --quiet`: none at all)"),
]
Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="run the blocks on N worker processes forked from this one (a local Dask cluster where the platform "
        "cannot fork); same output",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option("--scheduler", help="run the blocks on the Dask cluster at this address, e.g. tcp://host:8786"),
]
Device = Annotated[
    str | None,
    typer.Option(
        "--device",
        help="where the expected-utility kernel runs: cpu (default, numpy) or cuda (CuPy or PyTorch on a GPU; "
        "agrees with cpu to rounding)",
    ),
]
MaxMemory = Annotated[
    str | None,
    typer.Option("--max-memory", help="refuse a run estimated to need more memory (e.g. 4GB; default: half of RAM)"),
]
Delegations = Annotated[
    str | None,
    typer.Option(
        "--delegations",
        metavar="collapse|separate",
        help="collapse: each delegation negotiates as one actor; separate: every member is an actor. Default: "
        "collapse where the scenario declares delegations (docs/two-level.md)",
    ),
]
Vetoes = Annotated[
    str | None,
    typer.Option(
        "--vetoes",
        metavar="on|off",
        help="on: outcomes are projected onto what every veto player prefers to the status quo; off: the model's "
        "outcome. Default: on where the scenario names veto players",
    ),
]


def _check_structure(delegations: str | None, vetoes: str | None) -> None:
    """Check the two-level options (one clear error for a bad value)."""
    from detente.cli.app import choice

    if delegations is not None:
        choice(delegations, ("collapse", "separate"), "--delegations")
    if vetoes is not None:
        choice(vetoes, ("on", "off"), "--vetoes")


def _model_params(preset: str | None, param: list[str] | None) -> dict[str, Any]:
    kw = parse_params(param)
    if preset is not None:
        kw["preset"] = preset
    return kw


def _thresholds(items: list[str] | None, issues: list[str]) -> dict[str, list[float]] | None:
    """``--threshold T`` (every issue) or ``--threshold ISSUE=T``, repeatable."""
    if not items:
        return None
    out: dict[str, list[float]] = {}
    for item in items:
        key, _, val = item.rpartition("=")
        try:
            t = float(val)
        except ValueError:
            raise DetenteError(f"--threshold {item!r}: expected a number or ISSUE=NUMBER") from None
        if not math.isfinite(t):
            raise DetenteError(f"--threshold {item!r}: expected a finite number (or ISSUE=NUMBER)")
        targets = [key] if key else issues
        for iid in targets:
            if iid not in issues:
                raise DetenteError(f"--threshold {item!r}: unknown issue {iid!r}; expected one of {issues}")
            out.setdefault(iid, []).append(t)
    return out


def _emit(tables: list[Any], out: Path | None) -> None:
    print_tables(tables, out)


def _one_seed(seed: int | None) -> int:
    """The seed every model of a side-by-side run shares (a fresh one, recorded, when none is given)."""
    from detente.uncertainty.ensemble import new_seed

    return new_seed() if seed is None else seed


def _edits(s: Any) -> list[dict[str, Any]]:
    from detente.whatif import edits_of

    return edits_of(s)


def _record(provenance: dict[str, Any], s: Any) -> None:
    """Put the what-if edits that made the scenario into a result's provenance (its JSON output)."""
    from detente.whatif import edits_of

    if edits_of(s):
        provenance["what_if"] = edits_of(s)


def _f(x: Any, digits: int = 4) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "—" if v != v else f"{v:.{digits}g}"


@app.command()
def ensemble(
    scenario: Ref,
    model: ModelOpt = "compromise",
    draws: Annotated[int, typer.Option("--draws", "-n", min=1, help="number of perturbed draws")] = 1000,
    seed: Seed = None,
    perturb: Perturb = None,
    variant: Variants = None,
    set_: Sets = None,
    preset: Preset = None,
    param: Param = None,
    threshold: Annotated[
        list[str] | None, typer.Option("--threshold", help="P(outcome ≥/≤ T): T or ISSUE=T (repeatable)")
    ] = None,
    chunk: Chunk = None,
    format: Format = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="FILE.png/.svg/.pdf: a chart of each issue's distribution (the table is printed); FILE.csv/.json/"
            ".xlsx/.txt: the data",
        ),
    ] = None,
    draws_out: Annotated[Path | None, typer.Option("--draws-out", help="also write every draw (tidy CSV)")] = None,
    input_format: InputFormat = None,
    scale: Scale = None,
    no_progress: NoProgress = False,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_memory: MaxMemory = None,
    delegations: Delegations = None,
    vetoes: Vetoes = None,
    device: Device = None,
) -> None:
    """Monte Carlo ensemble: the model on DRAWS perturbed copies of the scenario, summarised per issue and actor."""
    from detente.uncertainty.ensemble import ensemble as run
    from detente.whatif import as_variant, what_if

    with guarded():
        format, chart = output_format(format, out, FORMATS, charts=True)
        chart_out, out = (out, None) if chart else (None, out)
        check_out(draws_out, "--draws-out")
        base = load_what_if(scenario, input_format)
        s = what_if(base, variant or (), set_ or (), dated="skip")  # checked, named and recorded here
        _check_structure(delegations, vetoes)
        one = lambda name: run(  # noqa: E731
            base,
            name,
            draws=draws,
            seed=seed,
            perturb=None if perturb is None else str(perturb),
            variant=as_variant(base, variant or (), set_ or ()),
            params=_model_params(preset, param),
            thresholds=_thresholds(threshold, [i.id for i in s.issues]),
            chunk=chunk,
            progress=False if no_progress else None,
            workers=workers,
            scheduler=scheduler,
            max_memory=max_memory,
            delegations=delegations,
            vetoes=vetoes,
            device=device,
        )
        names = model_names(model)
        if len(names) > 1:
            refuse_settings(preset, param, chart)
            if draws_out is not None:
                raise ParameterError("--draws-out: expected a single --model (the draws of one model)")
            seed = _one_seed(seed)  # every model on the same draws
            runs, skipped = run_several(s, names, one)
            emit_several(
                s,
                runs,
                skipped,
                format,
                out,
                frame=lambda e: e.summary(),
                sheet="summary",
                title=f"{s.name} · {draws} draws · seed {runs[0][1].provenance['seed']} · {len(runs)} models",
                columns=[
                    ("issue", "issue", str),
                    ("mean", "mean", _f),
                    ("sd", "sd", _f),
                    ("5%", "q5", _f),
                    ("median", "q50", _f),
                    ("95%", "q95", _f),
                ],
                what_if=_edits(s),
            )
            return
        ens = one(model)
        _record(ens.provenance, s)
        if draws_out is not None:
            write_output(ens.frame().to_csv(index=False), draws_out, "--draws-out")
        if chart_out is not None:
            write_figure(ens.figure(), chart_out)
        if write_data(format, out, doc=ens.to_dict, frames=lambda: {"summary": ens.summary()}):
            return
        p = ens.provenance
        t = Table(
            "issue",
            "mean",
            "sd",
            "5%",
            "median",
            "95%",
            "status",
            title=(f"{p['scenario']} · {p['model']} · {p['draws']} draws · seed {p['seed']}"),
            caption=scale_caption(p["scales"]),
        )
        summ = ens.summary()
        cols = {k: column(summ[k].tolist()) for k in ("mean", "sd", "q5", "q50", "q95")}
        for j, row in enumerate(summ.to_dict(orient="records")):
            status = ", ".join(f"{k} {v / ens.draws:.0%}" for k, v in ens.status_counts(j).items())
            t.add_row(str(row["issue"]), *[cols[k][j] for k in ("mean", "sd", "q5", "q50", "q95")], status)
        tables: list[Any] = [t]
        if threshold:
            tt = Table(
                "issue",
                "threshold",
                "P(outcome ≥ T)",
                "P(outcome ≤ T)",
                title="probability of an outcome at or beyond each --threshold T",
            )
            for j, iid in enumerate(ens.issues):
                for th in ens.thresholds.get(iid, []):
                    tt.add_row(
                        iid, f"{th:g}", f"{ens.probability(j, '>=', th):.3f}", f"{ens.probability(j, '<=', th):.3f}"
                    )
            tables.append(tt)
        _emit(tables, out)


@app.command()
def compare(
    scenario: Ref,
    variant: Annotated[list[str], typer.Option("--variant", "-v", help="variant id of the scenario (repeatable)")],
    model: ModelOpt = "compromise",
    draws: Annotated[int, typer.Option("--draws", "-n", min=1, help="number of perturbed draws")] = 1000,
    seed: Seed = None,
    perturb: Perturb = None,
    preset: Preset = None,
    param: Param = None,
    level: Annotated[float, typer.Option("--level", help="confidence level of the intervals")] = 0.95,
    set_: Sets = None,
    chunk: Chunk = None,
    format: Format = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="FILE.png/.svg/.pdf: a chart; FILE.csv/.json/.xlsx/.txt: the data"),
    ] = None,
    input_format: InputFormat = None,
    scale: Scale = None,
    no_progress: NoProgress = False,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_memory: MaxMemory = None,
    delegations: Delegations = None,
    vetoes: Vetoes = None,
) -> None:
    """Baseline vs variants on common random numbers: per-issue differences with confidence intervals."""
    from detente.uncertainty.compare import compare as run

    with guarded():
        format, chart = output_format(format, out, FORMATS, charts=True)
        s = load_what_if(scenario, input_format, None, set_)
        _check_structure(delegations, vetoes)
        one = lambda name: run(  # noqa: E731
            s,
            name,
            variant,
            draws=draws,
            seed=seed,
            perturb=None if perturb is None else str(perturb),
            params=_model_params(preset, param),
            level=level,
            chunk=chunk,
            progress=False if no_progress else None,
            workers=workers,
            scheduler=scheduler,
            max_memory=max_memory,
            delegations=delegations,
            vetoes=vetoes,
        )
        names = model_names(model)
        if len(names) > 1:
            refuse_settings(preset, param, chart)
            seed = _one_seed(seed)  # every model on the same draws
            runs, skipped = run_several(s, names, one)
            pct = f"{level * 100:g}%"
            emit_several(
                s,
                runs,
                skipped,
                format,
                out,
                frame=lambda c: c.differences(),
                sheet="differences",
                title=f"{s.name} · {draws} draws · seed {runs[0][1].provenance['seed']} · {len(runs)} models",
                columns=[
                    ("variant", "variant", str),
                    ("issue", "issue", str),
                    ("baseline", "baseline_mean", _f),
                    ("variant", "variant_mean", _f),
                    ("difference", "diff_mean", _f),
                    (f"{pct} CI low", "ci_low", _f),
                    (f"{pct} CI high", "ci_high", _f),
                ],
                what_if=_edits(s),
            )
            return
        cmp = one(model)
        _record(cmp.provenance, s)
        if chart and out is not None:
            write_figure(cmp.figure(), out)
            return
        df = cmp.differences()
        if write_data(format, out, doc=cmp.to_dict, frames=lambda: {"differences": df}):
            return
        p = cmp.provenance
        pct = f"{level * 100:g}%"
        t = Table(
            "variant",
            "issue",
            "baseline",
            "variant",
            f"difference [{pct} CI]",
            f"central {pct} of draws",
            "P(up)",
            "P(down)",
            title=f"{p['scenario']} · {p['model']} · {p['draws']} draws · seed {p['seed']} (common random numbers)",
            caption=scale_caption(p["scales"]),
        )
        recs = df.to_dict(orient="records")
        ok = [r for r in recs if r.get("n")]
        # one number of decimals for the positions, one for the differences (both in the issue's units)
        pos = iter(column([x for r in ok for x in (r["baseline_mean"], r["variant_mean"])]))
        dif = iter(
            column([x for r in ok for x in (r["diff_mean"], r["ci_low"], r["ci_high"], r["q_low"], r["q_high"])])
        )
        for r in recs:
            if not r.get("n"):
                t.add_row(r["variant"], r["issue"], *["—"] * 6)
                continue
            base, var = next(pos), next(pos)
            d, dlo, dhi, lo, hi = next(dif), next(dif), next(dif), next(dif), next(dif)
            t.add_row(
                r["variant"],
                r["issue"],
                base,
                var,
                f"{d} [{dlo}, {dhi}]",
                f"[{lo}, {hi}]",
                f"{r['p_up']:.2f}",
                f"{r['p_down']:.2f}",
            )
        _emit([t], out)


@app.command()
def sensitivity(
    scenario: Ref,
    model: ModelOpt = "compromise",
    draws: Annotated[
        int, typer.Option("--draws", "-n", min=2, help="Sobol base samples N (runs N·(groups+2)); a power of 2")
    ] = 512,
    seed: Seed = None,
    groups: Annotated[
        str, typer.Option("--groups", help="input groups: actor-field, actor, field, issue or cell")
    ] = "actor-field",
    perturb: Perturb = None,
    preset: Preset = None,
    param: Param = None,
    top: Annotated[int, typer.Option("--top", min=1, help="groups shown per issue (table and chart)")] = 10,
    variant: Variants = None,
    set_: Sets = None,
    chunk: Chunk = None,
    format: Format = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="FILE.png/.svg/.pdf: a tornado chart; FILE.csv/.json/.xlsx/.txt: the data"),
    ] = None,
    input_format: InputFormat = None,
    no_progress: NoProgress = False,
    workers: Workers = None,
    scheduler: Scheduler = None,
    max_memory: MaxMemory = None,
    scale: Scale = None,
    delegations: Delegations = None,
    vetoes: Vetoes = None,
    device: Device = None,
) -> None:
    """Sobol sensitivity (Saltelli/Jansen estimators): which input groups drive each issue's outcome."""
    from detente.cli.app import choice
    from detente.uncertainty.sensitivity import GROUPINGS
    from detente.uncertainty.sensitivity import sensitivity as run

    with guarded():
        format, chart = output_format(format, out, FORMATS, charts=True)
        choice(groups, GROUPINGS, "--groups")
        s = load_what_if(scenario, input_format, variant, set_)
        _check_structure(delegations, vetoes)
        one = lambda name: run(  # noqa: E731
            s,
            name,
            draws=draws,
            seed=seed,
            groups=groups,  # type: ignore[arg-type]
            perturb=None if perturb is None else str(perturb),
            params=_model_params(preset, param),
            chunk=chunk,
            progress=False if no_progress else None,
            workers=workers,
            scheduler=scheduler,
            max_memory=max_memory,
            delegations=delegations,
            vetoes=vetoes,
            device=device,
        )
        names = model_names(model)
        if len(names) > 1:
            refuse_settings(preset, param, chart)
            seed = _one_seed(seed)  # every model on the same draws
            runs, skipped = run_several(s, names, one)
            emit_several(
                s,
                runs,
                skipped,
                format,
                out,
                frame=lambda r: r.frame().groupby("issue", sort=False).head(top),
                sheet="sobol",
                title=f"{s.name} · Sobol N={draws} · seed {runs[0][1].provenance['seed']} · {len(runs)} models",
                columns=[
                    ("issue", "issue", str),
                    ("group", "group", str),
                    ("S1", "S1", lambda x: _f(x, 3)),
                    ("ST", "ST", lambda x: _f(x, 3)),
                ],
                what_if=_edits(s),
            )
            return
        res = one(model)
        _record(res.provenance, s)
        if chart and out is not None:
            write_figure(res.figure(top=top), out)
            return
        if write_data(format, out, doc=res.to_dict, frames=lambda: {"sobol": res.frame()}):
            return
        df = res.frame()
        p = res.provenance
        t = Table(
            "issue",
            "group",
            "S1",
            "± S1",
            "ST",
            "± ST",
            title=(
                f"{p['scenario']} · {p['model']} · Sobol N={p['base_samples']} ({p['evaluations']} runs) · seed {p['seed']}"
            ),
            caption=scale_caption(p["scales"]),
        )
        for iid, sub in df.groupby("issue", sort=False):
            for r in sub.head(top).to_dict(orient="records"):
                t.add_row(
                    str(iid), r["group"], _f(r["S1"], 3), _f(r["S1_conf"], 2), _f(r["ST"], 3), _f(r["ST_conf"], 2)
                )
        _emit([t], out)
