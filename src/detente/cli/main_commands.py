"""The core commands: scenarios, show, validate, schema, forecast, plot."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from detente.cli.app import (
    InputFormat,
    Out,
    Ref,
    Scale,
    Seed,
    Sets,
    Variants,
    app,
    choice,
    dumps,
    guarded,
    load_scenario,
    load_what_if,
    options_named,
    output_format,
    parse_params,
    print_tables,
    write_data,
    write_figure,
    write_output,
)
from detente.display import scale_caption
from detente.errors import LINE_CHARS, DetenteError, ParameterError, cap

scenarios_app = typer.Typer(help="List the built-in scenarios (and make random ones).", invoke_without_command=True)
app.add_typer(scenarios_app, name="scenarios")


@scenarios_app.callback()
def scenarios(ctx: typer.Context) -> None:
    """List the built-in scenarios with a one-line description."""
    if ctx.invoked_subcommand is not None:
        return
    from detente.scenario.io import library_summaries

    with guarded():
        t = Table("name", "description", box=None)
        for name, summary in library_summaries():
            t.add_row(name, summary)
        print_tables([t], None)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from detente.scenario.schema import Scenario

    write_output(json.dumps(Scenario.model_json_schema(), indent=2), None)


@app.command()
def validate(file: Ref, input_format: InputFormat = None, scale: Scale = None) -> None:
    """Check a scenario file and what commands will need of it: its events and variants (applied as a dry run), its
    strategy and perturbation blocks, issues and actors without stances.

    Prints a summary and one line per warning (exit 0); with errors, one line per problem on stdout and the first
    error on stderr (exit 2). A file that cannot be read at all is one error line on stderr (exit 2).
    """
    from detente.scenario.checks import check

    with guarded():
        s = load_scenario(file, input_format)
        found = check(s)
    errors = [f for f in found if f.level == "error"]
    summary = f"{len(s.actors)} actors, {len(s.issues)} issues, {len(s.stances)} stances"
    if not errors:
        typer.echo(f"ok: {file}: {summary}" + (f"; {len(found)} warning(s)" if found else ""))
        for f in found:
            typer.echo(str(f))
        return
    typer.echo(f"{file}: {summary}; {len(errors)} error(s), {len(found) - len(errors)} warning(s)")
    for f in found:
        typer.echo(str(f))
    more = f" (and {len(errors) - 1} more error(s), listed on stdout)" if len(errors) > 1 else ""
    print(cap(f"error: {file}: {errors[0].where}: {errors[0].message}", LINE_CHARS) + more, file=sys.stderr)
    raise typer.Exit(2)


@app.command()
def show(
    scenario: Ref,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="table; json or yaml (the file schema); csv (the long actor,issue,position,salience,capability "
            "table) or xlsx (the detente workbook): files detente loads back; parquet (the stances)",
        ),
    ] = None,
    bases: Annotated[
        bool, typer.Option("--bases", help="also list each number's basis: its source, note and plausible range")
    ] = False,
    variant: Variants = None,
    set_: Sets = None,
    input_format: InputFormat = None,
    scale: Scale = None,
    out: Out = None,
) -> None:
    """Show a scenario: its description, issues with their scales, actors, and the stances matrix."""
    from detente.scenario.io import dumps as scenario_dumps

    with guarded():
        fmt, _ = output_format(format, out, ("table", "json", "yaml", "csv", "xlsx"))
        s = load_what_if(scenario, input_format, variant, set_)
        if fmt in ("json", "yaml"):
            write_output(scenario_dumps(s, fmt), out)
            return
        if fmt == "csv":
            write_output(scenario_dumps(s, "long-csv"), out)
            return
        if fmt == "xlsx":
            from detente.scenario.sheets import xlsx_bytes as scenario_xlsx

            write_output(scenario_xlsx(s), out)
            return
        if write_data(fmt, out, frames=lambda: _scenario_frames(s)):
            return
        head = f"[bold]{s.name}[/bold] — {s.title or ''}"
        if s.description:
            head += "\n" + s.description.strip()
        tables: list[Any] = [head]
        t = Table("issue", "scale", "status quo", "labelled points", title="issues")
        for i in s.issues:
            pts = "; ".join(f"{p.value:g} {p.label}" for p in i.scale.points[:8])
            sq = "" if i.status_quo is None else f"{i.status_quo:g}"
            t.add_row(i.id, f"{i.scale.lower:g}–{i.scale.upper:g}", sq, pts)
        tables.append(t)
        t = Table("actor", "name", "group", "capability", title="actors")
        for a in s.actors:
            t.add_row(a.id, a.name or "", a.group or "", f"{a.capability:g}")
        tables.append(t)
        t = Table("actor", *[i.id for i in s.issues], title="stances: position (salience)")
        cell = {(st.actor, st.issue): f"{st.position:g} ({st.salience:g})" for st in s.stances}
        for a in s.actors:
            t.add_row(a.id, *[cell.get((a.id, i.id), "—") for i in s.issues])
        tables.append(t)
        tables.extend(_structure_tables(s))
        if bases:
            tables.append(_bases_table(s))
        print_tables(tables, out)


def _basis_text(b: Any) -> str:
    """'source: note' of a basis ('' when there is none)."""
    if b is None:
        return ""
    return ": ".join(p for p in (b.source, b.note) if p)


def _structure_tables(s: Any) -> list[Table]:
    """The scenario's delegations (members, rule, seat) and veto rules (players, acceptance, basis), if it has any."""
    out: list[Table] = []
    if s.delegations:
        t = Table("delegation", "name", "members", "rule", "seat", "basis", title="delegations (docs/two-level.md)")
        for d in s.delegations:
            seat = d.leader if d.leader is not None else d.members[0]
            t.add_row(d.id, d.name or "", ", ".join(d.members), d.rule, seat, _basis_text(d.basis))
        out.append(t)
    if s.vetoes:
        t = Table("issue", "veto players", "acceptance", "basis", title="veto players (docs/two-level.md)")
        for v in s.vetoes:
            t.add_row(v.issue, ", ".join(v.players), v.acceptance, _basis_text(v.basis))
        out.append(t)
    return out


def _bases_table(s: Any) -> Table:
    """Each number of the scenario with what it rests on: the source it cites, the note and the plausible range."""
    t = Table("number", "value", "source", "basis", title="what each number rests on", show_lines=False)
    t.columns[0].no_wrap = True
    t.columns[1].justify = "right"
    cites = {src.id: src for src in s.sources}

    def add(what: str, value: Any, b: Any) -> None:
        shown = "" if value is None else f"{value:g}"
        if b is None:
            t.add_row(what, shown, "—", "[i]no basis given[/i]")
            return
        src = "" if b.source is None else b.source
        if b.source in cites and cites[b.source].kind != "estimate":
            src += f" ({cites[b.source].kind})"
        parts = [b.note or ""]
        if b.low is not None:
            parts.append(f"plausible {b.low:g}–{b.high:g}")
        if b.supports:
            parts.append(f"supports: {b.supports}")
        t.add_row(what, shown, src, "; ".join(p for p in parts if p))

    for i in s.issues:
        if i.status_quo is not None:
            add(f"{i.id} status quo", i.status_quo, i.status_quo_basis)
    for a in s.actors:
        add(f"{a.id} capability", a.capability, a.capability_basis)
    for st in s.stances:
        add(f"{st.actor} · {st.issue} position", st.position, st.position_basis)
        add(f"{st.actor} · {st.issue} salience", st.salience, st.salience_basis)
        if st.capability is not None:
            add(f"{st.actor} · {st.issue} capability", st.capability, st.capability_basis)
    return t


def _scenario_frames(s: Any) -> dict[str, Any]:
    """The scenario as tidy tables: stances (one row per actor and issue held), issues, actors."""
    import pandas as pd

    stances = pd.DataFrame(
        [{"actor": st.actor, "issue": st.issue, "position": st.position, "salience": st.salience} for st in s.stances],
        columns=["actor", "issue", "position", "salience"],
    )
    issues = pd.DataFrame(
        [{"issue": i.id, "lower": i.scale.lower, "upper": i.scale.upper, "status_quo": i.status_quo} for i in s.issues],
        columns=["issue", "lower", "upper", "status_quo"],
    )
    actors = pd.DataFrame(
        [{"actor": a.id, "name": a.name, "group": a.group, "capability": a.capability} for a in s.actors],
        columns=["actor", "name", "group", "capability"],
    )
    return {"stances": stances, "issues": issues, "actors": actors}


def run_forecast(
    scenario: str,
    model: str,
    preset: str | None,
    rounds: int | None,
    params: list[str] | None,
    seed: int | None,
    input_format: str | None,
    mode: str | None = None,
    as_of: str | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
    variants: list[str] | None = None,
    sets: list[str] | None = None,
) -> tuple[Any, Any]:
    """Load, edit (``--as-of``, ``--variant``, ``--set``), configure and run: the shared body of `forecast` and `plot`."""
    from detente.models.base import get
    from detente.scenario.arrays import to_arrays

    s = load_what_if(scenario, input_format, variants, sets, as_of=as_of)
    kw = {**_file_params(scenario, input_format, model), **parse_params(params)}
    if preset is not None:
        kw["preset"] = preset
    if mode is not None:
        kw["mode"] = mode
    m = get(model, **kw)
    if rounds is not None:
        if not m.capabilities.round_based:
            raise ParameterError(f"--rounds: model {m.name!r} has no rounds; expected no --rounds for a static model")
        m = get(model, **{**kw, "max_rounds": rounds})
    return s, _with_edits(s, m.solve(to_arrays(s), seed=seed, delegations=delegations, vetoes=vetoes))


def _with_edits(s: Any, fc: Any) -> Any:
    """The forecast, its info recording the what-if edits that made the scenario (shown in JSON output)."""
    from detente.whatif import edits_of

    if edits_of(s):
        from dataclasses import replace

        return replace(fc, info={**fc.info, "what_if": edits_of(s)})
    return fc


def _file_params(ref: str, input_format: str | None, model: str) -> dict[str, Any]:
    """Model parameters a scenario file sets itself (KTAB's XML carries the spatial model's settings)."""
    if not model.startswith("spatial") or not (input_format == "ktab-xml" or ref.lower().endswith(".xml")):
        return {}
    from detente.scenario.ktab_io import load_ktab

    return dict(load_ktab(ref).params)


def _outcome_rows(s: Any, fc: Any) -> list[dict[str, Any]]:
    rows = []
    for j, iid in enumerate(fc.issues):
        x = float(fc.outcomes[0, j])
        rows.append(
            {
                "model": fc.model,
                "issue": iid,
                "outcome": x if math.isfinite(x) else None,  # None: no forecast (the status says why)
                "nearest_point": s.issue(iid).scale.nearest_label(x) or "",
                "status": str(fc.status[0, j]),
                "rounds": int(fc.rounds[0, j]),
                "observed": s.observed.get(iid),
            }
        )
    return rows


def _model_list(model: str) -> list[str]:
    from detente.models.base import available

    if model == "all":
        return list(available())
    return [m.strip() for m in model.split(",") if m.strip()]


@app.command()
def forecast(
    scenario: Ref,
    model: Annotated[
        str, typer.Option("--model", "-m", help="model name (see `detente models`), a comma-separated list, or 'all'")
    ] = "compromise",
    preset: Annotated[str | None, typer.Option("--preset", help="named parameter preset of the model")] = None,
    rounds: Annotated[int | None, typer.Option("--rounds", min=1, help="maximum rounds (round-based models)")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="model parameter key=value (repeatable)")
    ] = None,
    seed: Seed = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="the model's mode parameter, e.g. spatial's ktab_compat")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="apply the scenario's dated events up to this date (YYYY-MM-DD)")
    ] = None,
    delegations: Annotated[
        str | None,
        typer.Option(
            "--delegations",
            metavar="collapse|separate",
            help="collapse: each delegation negotiates as one actor (its rule forms its stance); separate: every "
            "member is an actor. Default: collapse where the scenario declares delegations (docs/two-level.md)",
        ),
    ] = None,
    vetoes: Annotated[
        str | None,
        typer.Option(
            "--vetoes",
            metavar="on|off",
            help="on: outcomes are projected onto what every veto player prefers to the status quo; off: the "
            "model's outcome. Default: on where the scenario names veto players",
        ),
    ] = None,
    variant: Variants = None,
    set_: Sets = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            metavar="SCENARIO",
            help="also forecast this scenario (a name or file, without the --variant/--set edits) and show the two "
            "side by side with their difference",
        ),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", metavar="table|csv|json|xlsx", help="output format (default: --out's suffix, else table)"),
    ] = None,
    input_format: InputFormat = None,
    scale: Scale = None,
    out: Out = None,
) -> None:
    """Forecast a scenario: outcome per issue and the nearest labelled scale point; several models side by side.

    What-if: ``--variant NAME`` and ``--set ACTOR.ISSUE.FIELD=VALUE`` edit the scenario before the forecast;
    ``--against OTHER`` forecasts a second scenario (e.g. the unedited one) beside it.
    """
    with guarded():
        format, _ = output_format(format, out, ("table", "csv", "json", "xlsx"))
        if delegations is not None:
            choice(delegations, ("collapse", "separate"), "--delegations")
        if vetoes is not None:
            choice(vetoes, ("on", "off"), "--vetoes")
        names = _model_list(model)
        if len(names) > 1:
            if preset is not None or rounds is not None or param:
                raise ParameterError(
                    "--preset/--rounds/--param: expected a single --model (each model keeps its defaults)"
                )
            if against is not None:
                raise ParameterError("--against: expected a single --model (two scenarios side by side, one model)")
            _forecast_many(scenario, names, seed, format, input_format, out, as_of, delegations, vetoes, variant, set_)
            return
        run = lambda ref, v, st: run_forecast(  # noqa: E731
            ref,
            names[0] if names else model,
            preset,
            rounds,
            param,
            seed,
            input_format,
            mode,
            as_of,
            delegations,
            vetoes,
            v,
            st,
        )
        if against is not None:
            _forecast_against(run(scenario, variant, set_), run(against, None, None), format, out)
            return
        s, fc = run_forecast(
            scenario,
            names[0] if names else model,
            preset,
            rounds,
            param,
            seed,
            input_format,
            mode,
            as_of,
            delegations,
            vetoes,
            variant,
            set_,
        )
        rows = _outcome_rows(s, fc)
        if write_data(
            format,
            out,
            doc=fc.to_dict,
            frames=lambda: _forecast_frames(rows, fc, single=True),
        ):
            return
        t = Table(
            "issue",
            "outcome",
            "nearest labelled point",
            "status",
            "rounds",
            title=f"{s.name} · {fc.model}{_structure_note(fc)}",
            caption=scale_caption(fc.scales),
        )
        t.columns[0].no_wrap = True
        has_obs = any(r["observed"] is not None for r in rows)
        if has_obs:
            t.add_column("observed")
        for r in rows:
            shown = "—" if r["outcome"] is None else f"{r['outcome']:.4f}"
            cells = [r["issue"], shown, r["nearest_point"], r["status"], str(r["rounds"])]
            if has_obs:
                cells.append("" if r["observed"] is None else f"{r['observed']:g}")
            t.add_row(*cells)
        if fc.output("notes"):
            t.caption = "\n".join(f"note: {n}" for n in fc.output("notes"))
            t.caption_justify = "left"
        print_tables([t, _by_round_table(fc)], out)


def _forecast_frames(rows: list[dict[str, Any]], *fcs: Any, single: bool = False) -> dict[str, Any]:
    """Tidy tables of forecasts: the outcomes (one row per model and issue), then each model's trajectory."""
    import pandas as pd

    outcomes = pd.DataFrame(rows)
    frames: dict[str, Any] = {"outcomes": outcomes.drop(columns="model") if single else outcomes}
    for fc in fcs:
        traj = fc.trajectory_frame()
        frames["trajectory" if single else f"{fc.model}"] = traj
    return frames


def _structure_note(fc: Any) -> str:
    """' (delegations collapse, vetoes on)' for a scenario with a two-level structure, else ''."""
    st = fc.output("structure")
    return "" if not st else f" (delegations {st['delegations']}, vetoes {st['vetoes']})"


def _two_lines(name: str, width: int = 7) -> str:
    """Split a long header at its first hyphen, else in the middle with a hyphen."""
    if len(name) <= width:
        return name
    if "-" in name:
        head, tail = name.split("-", 1)
        return f"{head}-\n{tail}"
    half = (len(name) + 1) // 2
    return f"{name[:half]}-\n{name[half:]}"


def _forecast_many(
    scenario: str,
    names: list[str],
    seed: int | None,
    format: str,
    input_format: str | None,
    out: Path | None,
    as_of: str | None = None,
    delegations: str | None = None,
    vetoes: str | None = None,
    variants: list[str] | None = None,
    sets: list[str] | None = None,
) -> None:
    """Several models on one scenario, side by side, with the error against observed outcomes where known."""
    import numpy as np

    from detente.models.base import runnable
    from detente.scenario.arrays import to_arrays
    from detente.whatif import edits_of

    s = load_what_if(scenario, input_format, variants, sets, as_of=as_of)
    arrays = to_arrays(s)
    # every model that can run this scenario runs; the others are reported with their reason
    ok, skipped = runnable(arrays, names)
    fcs = [m.solve(arrays, seed=seed, delegations=delegations, vetoes=vetoes) for _, m in ok]
    if format == "json":
        doc = {
            "scenario": s.name,
            "scales": fcs[0].scales,
            "forecasts": [fc.to_dict() for fc in fcs],
            "cannot_run": skipped,
        }
        if edits_of(s):
            doc["what_if"] = edits_of(s)
        write_output(dumps(doc), out)
        return
    rows = [r for fc in fcs for r in _outcome_rows(s, fc)]
    if write_data(format, out, frames=lambda: _forecast_frames(rows, *fcs)):
        for k in skipped:  # data files hold forecasts only: the models left out are named on stderr
            typer.echo(f"note: model {k['model']!r} cannot run {s.name}: {k['reason']}", err=True)
        return
    mark = {"no_agreement": "✗", "cycling": "~", "max_rounds": "‡"}
    from rich import box

    t = Table(title=f"{s.name}: forecasts side by side{_structure_note(fcs[0])}", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("issue", no_wrap=True)
    for fc in fcs:  # long model names go on two lines so that the table fits an 80-column terminal
        t.add_column(_two_lines(fc.model), justify="right", no_wrap=True, min_width=5)
    has_obs = bool(s.observed)
    if has_obs:
        t.add_column("actual", justify="right", no_wrap=True)
    for j, iid in enumerate(arrays.issues):
        cells = [iid] + [
            "—"
            if not np.isfinite(fc.outcomes[0, j])
            else f"{fc.outcomes[0, j]:.1f}{mark.get(str(fc.status[0, j]), '')}"
            for fc in fcs
        ]
        if has_obs:
            obs = s.observed.get(iid)
            cells.append("" if obs is None else f"{obs:g}")
        t.add_row(*cells)
    if has_obs:
        errs = []
        for fc in fcs:
            d = [
                abs(fc.outcomes[0, j] - s.observed[i])
                for j, i in enumerate(arrays.issues)
                if i in s.observed and np.isfinite(fc.outcomes[0, j])
            ]
            errs.append(f"{np.mean(d):.1f}" if d else "—")
        t.add_row("[i]mean |error|[/i]", *errs, "")
    t.caption = (
        "✗ no agreement (status quo) · ~ cycling · ‡ max rounds · — no forecast (nobody holds a stance)"
        " · actual: observed outcome · " + scale_caption(fcs[0].scales)
    )
    print_tables([t, _cannot_run_table(skipped)], out)


def _cannot_run_table(skipped: list[dict[str, str]]) -> Table | None:
    """The models left out of a side-by-side forecast, with the reason each cannot run the scenario."""
    if not skipped:
        return None
    t = Table("model", "cannot run because", title="models not run", box=None)
    for k in skipped:
        t.add_row(k["model"], k["reason"])
    return t


def _by_round_table(fc: Any) -> Table | None:
    """Median and mean by round for models that report them (e.g. expected-utility)."""
    import numpy as np

    if not (fc.declares("median") and fc.declares("mean")) or fc.output("median", kind="array") is None:
        return None
    med, mean = fc.output("median", kind="array")[0], fc.output("mean", kind="array")[0]
    t = Table(title="median and mean by round")
    for name in ["round", *[f"{i}\nmedian" for i in fc.issues], *[f"{i}\nmean" for i in fc.issues]]:
        t.add_column(name, justify="right", no_wrap=True)
    last = int(np.max(fc.rounds[0])) if fc.rounds.size else med.shape[0] - 1
    for r in range(min(med.shape[0], last + 1)):
        t.add_row(str(r), *[f"{v:.4f}" for v in med[r]], *[f"{v:.4f}" for v in mean[r]])
    return t


@app.command()
def models(
    name: Annotated[
        str | None, typer.Argument(help="a model: explain each of its parameters and show its presets")
    ] = None,
) -> None:
    """List the models with a one-line summary and their parameters; with NAME, explain that model's parameters."""
    from detente.models.base import available

    models = available()
    if name is not None:
        with guarded():
            cls = models.get(name)
            if cls is None:
                raise DetenteError(f"model {name!r}: unknown; expected one of {', '.join(models)}")
            print_tables(_model_tables(name, cls), None)
        return
    t = Table("model", "summary", "parameters (defaults)", "presets", box=None)
    for key, cls in models.items():
        fields = ", ".join(f"{k}={v.default!r}" for k, v in cls.Params.model_fields.items())
        t.add_row(key, cls.summary, fields, ", ".join(cls.presets))
    t.caption = "`detente models NAME` explains each parameter of a model"
    print_tables([t], None)


def _choices(annotation: Any) -> str:
    """``a | b | c`` for a Literal annotation (also inside ``X | None``), else the type's name."""
    import typing

    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return " | ".join(str(a) for a in args)
    lits = [a for a in args if typing.get_origin(a) is typing.Literal]
    if lits:
        return _choices(lits[0]) + (" | None" if type(None) in args else "")
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _bounds(field: Any) -> str:
    """``in [0, 1]``, ``≥ 0``, ``> 0`` … from a field's numeric constraints (pydantic's ``ge``/``gt``/``le``/``lt``)."""
    c = {k: v for m in field.metadata for k in ("ge", "gt", "le", "lt") if (v := getattr(m, k, None)) is not None}
    lo, hi = c.get("ge", c.get("gt")), c.get("le", c.get("lt"))
    if lo is not None and hi is not None:
        return f" in {'(' if 'gt' in c else '['}{lo:g}, {hi:g}{')' if 'lt' in c else ']'}"
    if lo is not None:
        return f" {'>' if 'gt' in c else '≥'} {lo:g}"
    if hi is not None:
        return f" {'<' if 'lt' in c else '≤'} {hi:g}"
    return ""


def _model_tables(name: str, cls: Any) -> list[Any]:
    fields = cls.Params.model_fields
    tables: list[Any] = []
    if not fields:
        tables += [f"{name}: {cls.summary}", "This model has no parameters."]
    else:
        t = Table("parameter", "default", "values", "meaning", title=f"{name}: {cls.summary}", box=box.SIMPLE_HEAD,
                  caption=f"set with --param KEY=VALUE (e.g. `detente forecast korea-2019 --model {name} --param "
                  f"KEY=VALUE`)")
        for key, f in fields.items():
            t.add_row(key, repr(f.default), _choices(f.annotation) + _bounds(f), f.description or "")
        if cls.fitted_on is not None:
            from detente.validation.fitted import fit_proposals

            t.caption = str(t.caption) + (f"\nform and defaults chosen on {len(fit_proposals(cls.fitted_on))} DEU proposals "
                          f"(detente/data/fits/{cls.fitted_on}.txt): `detente backtest` counts its errors on them "
                          "as in sample")  # fmt: skip
        tables.append(t)
    if cls.presets:
        p = Table("preset", "settings", title=f"{name}: presets (--preset NAME)", box=box.SIMPLE_HEAD)
        for pname, values in cls.presets.items():
            p.add_row(pname, ", ".join(f"{k}={v!r}" for k, v in values.items()) or "(the defaults)")
        tables.append(p)
    c = Table("capability", "", "meaning", title=f"{name}: capabilities", box=box.SIMPLE_HEAD)
    for what, value, meaning in cls.capabilities.describe():
        c.add_row(what.replace("_", "-"), "yes" if value else "no", meaning)
    if cls.capabilities.order_dependent:
        c.caption = f"actor order: {cls.capabilities.order_dependent}"
    tables.append(c)
    o = Table("output", "kind", "columns or shape", "meaning", title=f"{name}: outputs", box=box.SIMPLE_HEAD,
              caption="B draws, R rounds (+1: with round 0), n actors, m issues; every model's forecast also has "
              "outcomes, trajectory, status and rounds")
    for out in cls.declared_outputs():
        o.add_row(out.name, out.kind, escape(out.shape), escape(out.meaning + (f" (when: {out.when})" if out.when else "")))
    tables.append(o)
    return tables


@app.command()
def plot(
    scenario: Ref,
    model: Annotated[str, typer.Option("--model", "-m")] = "expected-utility",
    issue: Annotated[
        list[str] | None, typer.Option("--issue", "-i", help="issue id (repeatable; default: all)")
    ] = None,
    preset: Annotated[str | None, typer.Option("--preset")] = None,
    rounds: Annotated[int | None, typer.Option("--rounds", min=1)] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p")] = None,
    seed: Seed = None,
    variant: Variants = None,
    set_: Sets = None,
    input_format: InputFormat = None,
    scale: Scale = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="chart file to write: .png, .svg or .pdf")] = Path(
        "positions.png"
    ),
) -> None:
    """Chart the actors' positions by round (one panel per issue)."""
    with guarded():
        output_format(None, out, (), charts=True)
        s, fc = run_forecast(scenario, model, preset, rounds, param, seed, input_format, variants=variant, sets=set_)
        with options_named({"issues": "--issue"}):
            fig = fc.figure(s, issues=issue)
        write_figure(fig, out)
        typer.echo(f"wrote {out}")


def _forecast_against(a: tuple[Any, Any], b: tuple[Any, Any], format: str, out: Path | None) -> None:
    """Two scenarios under one model, side by side: each issue's outcome in both and the difference (first − second)."""
    import pandas as pd

    (sa, fa), (sb, fb) = a, b
    if sa.name == sb.name:
        raise ParameterError(
            f"--against {sb.name!r}: the same scenario twice; expected another scenario, or --variant/--set edits"
        )
    rows = []
    for j, iid in enumerate(fa.issues):
        x = float(fa.outcomes[0, j])
        y = float(fb.outcomes[0, fb.issues.index(iid)]) if iid in fb.issues else math.nan
        rows.append(
            {
                "issue": iid,
                sa.name: x if math.isfinite(x) else None,
                sb.name: y if math.isfinite(y) else None,
                "difference": x - y if math.isfinite(x) and math.isfinite(y) else None,
            }
        )
    for iid in fb.issues:
        if iid not in fa.issues:
            y = float(fb.outcomes[0, fb.issues.index(iid)])
            rows.append({"issue": iid, sa.name: None, sb.name: y if math.isfinite(y) else None, "difference": None})
    if write_data(
        format,
        out,
        doc=lambda: {"model": fa.model, "forecasts": [fa.to_dict(), fb.to_dict()], "side_by_side": rows},
        frames=lambda: {"side_by_side": pd.DataFrame(rows, columns=["issue", sa.name, sb.name, "difference"])},
    ):
        return
    t = Table(
        title=f"{fa.model}: {sa.name} against {sb.name}", caption="difference: first − second · " + scale_caption(fa.scales)
    )
    t.add_column("issue", no_wrap=True)
    t.add_column("first", justify="right", no_wrap=True)
    t.add_column("second", justify="right", no_wrap=True)
    t.add_column("difference", justify="right", no_wrap=True)
    show = lambda v, sign="": "—" if v is None else f"{v:{sign}.2f}"  # noqa: E731
    for r in rows:
        t.add_row(r["issue"], show(r[sa.name]), show(r[sb.name]), show(r["difference"], "+"))
    t.caption = f"first: {sa.name} · second: {sb.name} · difference: first − second · " + scale_caption(fa.scales)
    print_tables([t], out)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="the new scenario's short name (letters, digits, '-', '_')")],
    actors: Annotated[
        str, typer.Option("--actors", help="comma-separated actor ids", show_default=True)
    ] = "government,opposition,mediator",
    issues: Annotated[str, typer.Option("--issues", help="comma-separated issue ids", show_default=True)] = (
        "budget,timeline"
    ),
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="the YAML file to write (default: print it); an existing file is kept"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing --out file")] = False,
) -> None:
    """Write a commented template scenario to start a new one from: valid as written, every field explained.

    Replace its placeholder numbers, then `detente validate FILE` and `detente forecast FILE` (docs/authoring.md).
    """
    from detente.scenario.template import template

    with guarded():
        if out is not None:
            if Path(out).suffix.lower() not in (".yaml", ".yml"):
                raise ParameterError(f"--out {str(out)!r}: expected a file ending in .yaml or .yml")
            if Path(out).exists() and not force:
                raise ParameterError(f"--out {str(out)!r}: exists already; expected a new file (or --force)")
        text = template(name, actors.split(","), issues.split(","))
        write_output(text, out)
        if out is not None:
            typer.echo(f"wrote {out}: edit it, then `detente validate {out}`", err=True)
