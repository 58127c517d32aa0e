"""The FastAPI application: the REST API under ``/api``, its OpenAPI document at ``/openapi.json``, the page at ``/``.

Bad input is a JSON error ``{"error": "<one line>"}`` with a 4xx status and the same message the command line prints
(400 bad value, 404 unknown name, 408 too slow, 413 too large, 422 malformed request, 429 too many jobs). Requests
are bounded in size (:data:`MAX_BODY`) and the synchronous computations in time (:data:`REQUEST_SECONDS`); long work
runs as a background job with progress and cancel (:mod:`detente.web.jobs`). Every computation is recorded in the run
store (:mod:`detente.store`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from detente.errors import DetenteError, UnknownNameError, _show, cap
from detente.web import work
from detente.web.jobs import Jobs, TooManyJobs
from detente.web.scenarios import MAX_UPLOAD, from_document, library, parse_upload, resolve, scenario_of

MAX_BODY = 4 * 1024 * 1024
"""Bytes a request body may have (an upload's file is bounded tighter, by MAX_UPLOAD)."""
REQUEST_SECONDS = 120.0
"""Seconds a synchronous computation may take before the request gets a 408 (use a background job instead)."""

_STATIC = "detente.web.static"


class Error(BaseModel):
    error: str = Field(description="one line: where, the bad value and what was expected (as the CLI prints it)")


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Error, "description": what}
    for code, what in [
        (400, "bad value"),
        (404, "unknown name"),
        (408, "took too long"),
        (413, "too large"),
        (422, "malformed request"),
        (429, "too many jobs"),
    ]
}

Text = Annotated[str, Field(max_length=200)]
Model = Annotated[str, Field(max_length=200, description="a model name or spec, e.g. expected-utility(Q=0.5)")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioInput(_Request):
    scenario: Text | None = Field(None, description="a built-in scenario name or upload:ID")
    document: dict[str, Any] | None = Field(None, description="a whole scenario in the file schema (edited in the page)")
    variants: list[Text] = Field(default=[], max_length=20, description="named variants, applied in order")
    sets: list[Text] = Field(default=[], max_length=200, description="what-if edits ACTOR.ISSUE.FIELD=VALUE")


class Structure(BaseModel):
    delegations: Literal["collapse", "separate"] | None = None
    vetoes: Literal["on", "off"] | None = None


class ForecastRequest(ScenarioInput, Structure):
    models: list[Model] = Field(default=["all"], max_length=20, description="model names, or ['all']")
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    as_of: Annotated[str, Field(max_length=10)] | None = Field(None, description="apply dated events up to YYYY-MM-DD")
    label: Text = ""


class CompareRequest(ScenarioInput, Structure):
    model: Model = "compromise"
    draws: int = Field(500, ge=1, le=5000)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    level: float = Field(0.95, gt=0, lt=1)
    label: Text = ""


class EnsembleRequest(ScenarioInput, Structure):
    model: Model = "compromise"
    draws: int = Field(1000, ge=1, le=20000)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


class SensitivityRequest(ScenarioInput, Structure):
    model: Model = "compromise"
    draws: int = Field(256, ge=2, le=4096)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    groups: Literal["actor-field", "actor", "field", "issue", "cell"] = "actor-field"


class StrategyRequest(ScenarioInput):
    rules: list[Annotated[str, Field(max_length=40)]] = Field(default=["hanoi", "sfs-freeze"], max_length=10)
    best_rule: bool = False
    paths: int = Field(2000, ge=1, le=20000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    grid: list[int] | None = Field(None, min_length=3, max_length=3, description="value types, test types, belief nodes")


class DocumentInput(_Request):
    document: dict[str, Any]


class Finding(BaseModel):
    level: Literal["error", "warning"]
    where: str
    message: str


class Validation(BaseModel):
    ok: bool
    summary: str
    findings: list[Finding]


class ScenarioEntry(BaseModel):
    ref: str
    name: str
    title: str


class UploadEntry(BaseModel):
    id: str
    ref: str
    name: str
    filename: str
    input_format: str
    created: str


class ScenarioList(BaseModel):
    library: list[ScenarioEntry]
    uploads: list[UploadEntry]


class Uploaded(BaseModel):
    id: str
    ref: str
    name: str
    validation: Validation


class RunSummary(BaseModel):
    id: str
    kind: str
    created: str
    label: str
    scenario: str
    scenario_hash: str
    model: str
    seed: int | None
    version: str
    duration_s: float
    edits: list[Any]
    parameters: dict[str, Any]


class JobView(BaseModel):
    id: str
    kind: str
    status: Literal["running", "done", "failed", "cancelled"]
    progress: float = Field(ge=0, le=1)
    elapsed_s: float
    error: str | None
    run_id: str | None
    result: dict[str, Any] | None


class Result(BaseModel):
    model_config = ConfigDict(extra="allow")
    run_id: str | None = None


def _status(e: DetenteError) -> int:
    return 404 if isinstance(e, UnknownNameError) else 429 if isinstance(e, TooManyJobs) else 400


def _first_validation_error(exc: RequestValidationError) -> str:
    errs = exc.errors()
    if not errs:
        return "malformed request"
    e = errs[0]
    where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
    got = e.get("input")
    shown = f", got {_show(got)}" if got is not None and not isinstance(got, dict) else ""
    return cap(f"{where}: {e.get('msg', 'invalid')}{shown}", 1000)


class _BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is a 413 before it is read whole."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_big = JSONResponse({"error": f"request body too large; expected at most {self.limit} bytes"}, 413)
        if length is not None:
            try:
                if int(length) > self.limit:
                    await too_big(scope, receive, send)
                    return
            except ValueError:
                await JSONResponse({"error": "content-length: expected a number of bytes"}, 400)(scope, receive, send)
                return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await too_big(scope, receive, send)


class _TooLarge(Exception):
    pass


async def _timed(fn: Any, *args: Any) -> Any:
    try:
        return await asyncio.wait_for(run_in_threadpool(fn, *args), REQUEST_SECONDS)
    except TimeoutError:
        raise _Slow from None


class _Slow(Exception):
    pass


def create_app(store: str | None = None) -> FastAPI:
    """The app on the run store ``store`` (a SQLAlchemy URL or a SQLite file; default as ``detente runs``)."""
    from detente import __version__
    from detente.store import RunStore

    db = RunStore(store)
    workdir = _workdir(db.url)

    def record_job(job: Any) -> str:
        rec = job.result["record"]
        job.result = job.result["result"]
        return db.add(**rec, results=job.result)

    jobs = Jobs(on_done=record_job)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()  # a job's process never outlives the server

    app = FastAPI(
        lifespan=lifespan,
        title="detente",
        version=__version__,
        description="Model, forecast and stress-test multi-party negotiations: the REST API of `detente serve`. "
        "Errors are JSON {\"error\": \"one line\"} with a 4xx status.",
    )
    app.state.store = db
    app.state.jobs = jobs
    app.add_middleware(_BodyLimit, limit=MAX_BODY)

    @app.exception_handler(DetenteError)
    async def _detente_error(request: Request, exc: DetenteError) -> JSONResponse:
        from detente.options import COMMON_OPTIONS, with_options

        # the command line's message: the library's arguments named as its options (`sets` → --set)
        return JSONResponse({"error": str(with_options(exc, COMMON_OPTIONS, quoted_only=True))},
                            status_code=_status(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _first_validation_error(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": cap(str(exc.detail), 300)}, status_code=exc.status_code)

    @app.exception_handler(_Slow)
    async def _slow(request: Request, exc: _Slow) -> JSONResponse:
        return JSONResponse(
            {"error": f"took longer than {REQUEST_SECONDS:g} s; expected fewer draws, or a background job (/api/jobs)"},
            status_code=408,
        )

    api = APIRouter(prefix="/api", responses=ERRORS)

    # ---- scenarios ----------------------------------------------------------------------------------------------
    @api.get("/scenarios", response_model=ScenarioList, summary="the built-in scenarios and the uploaded ones")
    def scenarios() -> Any:
        ups = [{**u, "ref": f"upload:{u['id']}"} for u in db.list_uploads()]
        return {"library": _library(), "uploads": ups}

    @api.get("/scenarios/{ref}", response_model=dict[str, Any], summary="a scenario in the file schema (JSON)")
    def get_scenario(ref: Annotated[str, Field(max_length=200)]) -> Any:
        from detente.scenario.io import to_dict

        return to_dict(resolve(ref, db))

    @api.post("/scenarios", response_model=Uploaded, summary="upload a scenario file (any format detente reads)")
    async def upload(
        file: Annotated[UploadFile, File(description=f"the scenario file, at most {MAX_UPLOAD} bytes")],
        input_format: Annotated[str | None, Form(max_length=40)] = None,
    ) -> Any:
        data = await file.read(MAX_UPLOAD + 1)
        s = await run_in_threadpool(parse_upload, data, file.filename or "upload", workdir, input_format)
        from detente.scenario.io import to_dict

        up = db.add_upload(filename=file.filename or "upload", input_format=input_format or "detected",
                           name=s.name, content=to_dict(s))
        return {"id": up, "ref": f"upload:{up}", "name": s.name, "validation": _validation(s)}

    @api.post("/validate", response_model=Validation, summary="check a scenario: every error and warning in place")
    def validate(body: ScenarioInput) -> Any:
        try:
            s = scenario_of(body.scenario, body.document, db, body.variants, body.sets)
        except DetenteError as e:
            where = getattr(e, "where", None) or ""
            msg = getattr(e, "message", None) or str(e)
            return {"ok": False, "summary": "the scenario does not load", "findings": [
                {"level": "error", "where": where, "message": cap(msg, 1000)}]}
        return _validation(s)

    @api.get("/scenarios/{ref}/download", summary="a scenario as a file: yaml, json or xlsx (the detente workbook)",
             responses={200: {"content": {"application/yaml": {}, "application/json": {},
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
    def download(ref: Annotated[str, Field(max_length=200)],
                 format: Literal["yaml", "json", "xlsx"] = Query("yaml")) -> Response:
        return _file(resolve(ref, db), format)

    @api.post("/download", summary="an edited scenario as a file: yaml, json or xlsx",
              responses={200: {"content": {"application/yaml": {}, "application/json": {},
                                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
    def download_document(body: DocumentInput, format: Literal["yaml", "json", "xlsx"] = Query("yaml")) -> Response:
        return _file(from_document(body.document), format)

    # ---- models and computations --------------------------------------------------------------------------------
    @api.get("/models", response_model=list[dict[str, Any]], summary="the models, their summaries and presets")
    def models() -> Any:
        from detente.models.base import available

        return [{"name": k, "summary": c.summary, "presets": list(c.presets)} for k, c in available().items()]

    def _doc(body: ScenarioInput) -> dict[str, Any]:
        """The request as a plain dict with the scenario as a whole document (what a job's process needs)."""
        from detente.scenario.io import to_dict

        req = body.model_dump()
        if body.document is None:
            if body.scenario is None:
                raise DetenteError("expected either 'scenario' (a name or upload:ID) or 'document' (a whole scenario)")
            s = resolve(body.scenario, db)
            req["document"], req["source"] = to_dict(s), s.name
        elif body.scenario is not None:
            raise DetenteError("expected either 'scenario' (a name or upload:ID) or 'document' (a whole scenario)")
        else:
            from_document(body.document)  # the schema's errors, located in the document
        return req

    def _save(rec: dict[str, Any], doc: Any, label: str = "") -> str:
        return db.add(**rec, results=doc, label=label)

    @api.post("/forecast", response_model=Result, summary="every model side by side (as `detente forecast --model all`)")
    async def forecast(body: ForecastRequest) -> Any:
        req = _doc(body)
        doc, rec = await _timed(work.forecast, req)
        return {**doc, "run_id": _save(rec, doc, body.label)}

    @api.post("/compare", response_model=Result,
              summary="baseline against variants on common random numbers, with intervals (as `detente compare`)")
    async def compare(body: CompareRequest) -> Any:
        if not body.variants:
            raise DetenteError("variants: expected at least one variant to compare with the baseline")
        req = _doc(body)
        doc, rec = await _timed(work.compare, req)
        return {**doc, "run_id": _save(rec, doc, body.label)}

    @api.get("/backtest", response_model=dict[str, Any], summary="the back-test leaderboard on the built-in scenarios")
    async def backtest(seed: int = Query(0, ge=0, le=2**32 - 1)) -> Any:
        return await _timed(_backtest, seed)

    @api.get("/strategy/rules", response_model=list[dict[str, Any]], summary="the strategy engine's named US rules")
    def strategy_rules() -> Any:
        from detente.strategy.staged.rules import PRESETS

        return [{"name": k, "meaning": r.meaning} for k, r in PRESETS.items()]

    @api.get("/claims", response_model=dict[str, Any], summary="the claims scorecard, where this version has one")
    async def claims(scenario: Annotated[str, Query(max_length=200)] = "korea-2019") -> Any:
        from detente.web.claims import scorecard

        return await _timed(scorecard, scenario)

    @api.get("/claims/page", summary="the claims scorecard as its one-page HTML (as `detente claims --format html`)",
             responses={200: {"content": {"text/html": {}}}})
    async def claims_page(scenario: Annotated[str, Query(max_length=200)] = "korea-2019") -> Response:
        from detente.web.claims import page, scorecard

        html = page(await _timed(scorecard, scenario))
        if html is None:
            raise UnknownNameError("the claims scorecard's page is not available in this version of detente")
        return Response(html, media_type="text/html; charset=utf-8")

    # ---- jobs ------------------------------------------------------------------------------------------------
    def _start(kind: str, body: ScenarioInput) -> Any:
        req = _doc(body)
        if kind == "strategy":
            from detente.strategy.staged.rules import get_rule

            for r in req.get("rules") or []:
                get_rule(r)
            if req.get("grid"):
                nv, nt, nl = req["grid"]
                if not (1 <= nv <= 200 and 1 <= nt <= 20 and 3 <= nl <= 40):
                    raise DetenteError(f"grid {req['grid']}: expected 1-200 value types, 1-20 test types, 3-40 "
                                       "belief nodes")
        return jobs.start(kind, req).view()

    @api.post("/jobs/ensemble", response_model=JobView, status_code=202, summary="start an ensemble (background)")
    def job_ensemble(body: EnsembleRequest) -> Any:
        return _start("ensemble", body)

    @api.post("/jobs/sensitivity", response_model=JobView, status_code=202, summary="start a Sobol sensitivity run")
    def job_sensitivity(body: SensitivityRequest) -> Any:
        return _start("sensitivity", body)

    @api.post("/jobs/compare", response_model=JobView, status_code=202, summary="start a long comparison")
    def job_compare(body: CompareRequest) -> Any:
        if not body.variants:
            raise DetenteError("variants: expected at least one variant to compare with the baseline")
        return _start("compare", body)

    @api.post("/jobs/strategy", response_model=JobView, status_code=202,
              summary="start the strategy engine: rules and the president's best rule")
    def job_strategy(body: StrategyRequest) -> Any:
        return _start("strategy", body)

    @api.get("/jobs", response_model=list[JobView], summary="the jobs of this server (without results)")
    def list_jobs() -> Any:
        return [{**j.view(), "result": None} for j in jobs.list()]

    @api.get("/jobs/{job_id}", response_model=JobView, summary="a job's status, progress and (when done) result")
    def get_job(job_id: Annotated[str, Field(max_length=40)]) -> Any:
        return jobs.get(job_id).view()

    @api.delete("/jobs/{job_id}", response_model=JobView, summary="cancel a job")
    def cancel_job(job_id: Annotated[str, Field(max_length=40)]) -> Any:
        return jobs.cancel(job_id).view()

    # ---- runs --------------------------------------------------------------------------------------------------
    @api.get("/runs", response_model=list[RunSummary], summary="the recorded runs, newest first")
    def runs(limit: int = Query(50, ge=1, le=1000), kind: str | None = Query(None, max_length=40)) -> Any:
        return db.list(limit=limit, kind=kind)

    @api.get("/runs/{run_id}", response_model=dict[str, Any], summary="one run: settings, scenario and results")
    def get_run(run_id: Annotated[str, Field(max_length=40)]) -> Any:
        return db.get(run_id)

    @api.delete("/runs/{run_id}", response_model=dict[str, Any], summary="delete a run")
    def delete_run(run_id: Annotated[str, Field(max_length=40)]) -> Any:
        db.delete(run_id)
        return {"deleted": run_id}

    @api.get("/runs/{first}/diff/{second}", response_model=dict[str, Any], summary="two runs compared")
    def diff_runs(first: Annotated[str, Field(max_length=40)], second: Annotated[str, Field(max_length=40)]) -> Any:
        return db.diff(first, second)

    # ---- report ------------------------------------------------------------------------------------------------
    @api.post("/report", summary="one self-contained HTML report (as `detente report`)",
              responses={200: {"content": {"text/html": {}}}})
    async def report(body: ForecastRequest) -> Response:
        from detente.report.html import report_html

        req = _doc(body)
        html = await _timed(lambda: report_html(scenario_of(None, req["document"], db, body.variants, body.sets),
                                                models=body.models, seed=body.seed, delegations=body.delegations,
                                                vetoes=body.vetoes))
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in req["document"].get("name", "scenario"))[:80]
        return Response(html, media_type="text/html; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}-report.html"'})

    app.include_router(api)

    # ---- the page ------------------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(_static_text("index.html"))

    @app.get("/runs/{run_id}", include_in_schema=False)
    def permalink(run_id: str) -> HTMLResponse:
        return HTMLResponse(_static_text("index.html"))

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in ("app.js", "style.css"):
            raise UnknownNameError(f"static file {_show(name)}: no such file")
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(_static_text(name), media_type=f"{media}; charset=utf-8")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(plotly_path(), media_type="text/javascript")

    # the explicit route for plotly.min.js must win over /static/{name}
    app.router.routes.sort(key=lambda r: 0 if getattr(r, "path", "") == "/static/plotly.min.js" else 1)
    return app


def plotly_path() -> Path:
    """plotly.js as the ``plotly`` Python package ships it (served from here: the page works offline)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise UnknownNameError("plotly.min.js: not found in the plotly package; expected plotly>=5 installed")
    return path


@functools.cache
def _static_text(name: str) -> str:
    return resources.files(_STATIC).joinpath(name).read_text(encoding="utf-8")


@functools.cache
def _library() -> list[dict[str, str]]:
    return library()


@functools.lru_cache(maxsize=4)
def _backtest(seed: int) -> dict[str, Any]:
    return work.backtest(seed)


def _workdir(url: str) -> Path:
    """Where uploads are parsed: ``uploads/`` beside a SQLite store's file, else in detente's user data folder."""
    from detente.store.runs import data_dir

    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url[len("sqlite:///") :]).parent / "uploads"
    return data_dir() / "uploads"


def _validation(s: Any) -> dict[str, Any]:
    from detente.scenario.checks import check

    found = check(s)
    errors = sum(1 for f in found if f.level == "error")
    summary = f"{len(s.actors)} actors, {len(s.issues)} issues, {len(s.stances)} stances"
    if found:
        summary += f"; {errors} error(s), {len(found) - errors} warning(s)"
    return {
        "ok": errors == 0,
        "summary": summary,
        "findings": [{"level": f.level, "where": f.where, "message": f.message} for f in found],
    }


def _file(s: Any, fmt: str) -> Response:
    from detente.scenario.io import dumps

    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in s.name)[:80] or "scenario"
    if fmt == "xlsx":
        from detente.scenario.sheets import xlsx_bytes

        body: bytes | str = xlsx_bytes(s)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = dumps(s, fmt)
        media = "application/yaml" if fmt == "yaml" else "application/json"
    return Response(body if isinstance(body, bytes) else body.encode(), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})

