"""The six claims of two 2019 op-eds as experiments (docs/strategy.md): claim-a ... claim-f.

Each experiment sweeps stated parameters (points), simulates each compared policy at every point with the same seed
(common random numbers), and reports every policy's P(full deal by the election), expected arsenal at the election
(Nov 2020) and P(crisis) with 95% Monte Carlo intervals. The claim is written as comparisons; each comparison is
judged at every point as ``holds`` (intervals separate in the claimed direction), ``fails`` (separate the other way)
or ``undecided`` (intervals overlap). The plain-language summary is generated from these numbers, never written by
hand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from detente import display
from detente.errors import UnknownNameError
from detente.execution.runner import progress
from detente.strategy.closed_forms import powell_shift_war
from detente.strategy.params import ParamBatch, StrategyParams
from detente.strategy.results import _r, month_labels, point_metrics
from detente.strategy.simulate import simulate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRICS = {
    "p_deal": ("P(full deal by the election)", "higher"),
    "p_partial": ("P(partial deal by the election)", "higher"),
    "arsenal_E": ("expected arsenal Nov 2020", "lower"),
    "p_crisis": ("P(crisis)", "lower"),
    "p_war": ("P(war or regime change)", "lower"),
    "first_step_month": ("mean month of N's first step (among paths with one)", "lower"),
}
WINNER_METRICS = ("p_deal", "arsenal_E", "p_crisis")


@dataclass
class Point:
    """One sweep point: a label, parameter overrides, and (for claims about a parameter's effect) the label of the
    baseline point it is compared with."""

    label: str
    overrides: dict[str, Any]
    baseline: str | None = None


@dataclass
class Comparison:
    """``a`` is claimed better than ``b`` on ``metric`` (or higher/lower, per ``claimed``). With ``across`` the same
    policy ``a`` is compared at a point and at that point's baseline (``b`` is then ignored)."""

    text: str
    a: str
    b: str
    metric: str
    across: bool = False
    claimed: str | None = None  # "higher" / "lower": the claimed direction of a vs b (default: the better one)
    only: tuple[str, ...] | None = None  # restrict to these point labels


@dataclass
class Experiment:
    name: str
    title: str
    claim: str
    quote: str
    policies: list[str]
    points: list[Point]
    comparisons: list[Comparison]
    method: str

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "claim": self.claim,
            "quote": self.quote,
            "method": self.method,
            "policies": self.policies,
            "points": [p.label for p in self.points],
        }


def _grid(**axes: list[Any]) -> list[Point]:
    keys = list(axes)
    pts: list[Point] = [Point("", {})]
    for k in keys:
        pts = [Point(f"{p.label} {k}={v}".strip(), {**p.overrides, k: v}) for p in pts for v in axes[k]]
    return pts


def _claim_a() -> Experiment:
    return Experiment(
        name="claim-a",
        title="(a) the arsenal insures the regime: full, immediate denuclearisation is unrealistic",
        claim="all-or-nothing yields (almost) no full deal while step-for-step yields partial deals",
        quote="denuclearization is not a realistic goal ... a nuclear arsenal is integral to Pyongyang's defense "
        "strategy against forcible regime change (Kristian 2019)",
        policies=["aon", "sfs-screen"],
        points=_grid(X=[20.0, 60.0, 120.0], rho0=[0.3, 0.6, 0.9]),
        comparisons=[
            Comparison("step-for-step yields more partial deals than all-or-nothing", "sfs-screen", "aon", "p_partial"),
            Comparison("all-or-nothing yields fewer full deals than step-for-step", "sfs-screen", "aon", "p_deal"),
        ],
        method="sweep the regime-change loss X (h*X) and N's trust in the US rho0; check Powell's single-shift "
        "condition for the all-at-once step and for each step-for-step step (Powell 2006)",
    )


def _claim_b() -> Experiment:
    pts = _grid(tau_rok=[0.3, 0.9], rok_bias=[0.0, 0.4], rho0=[0.6, 0.9])
    pts += _grid(rok_side=[0.05, 0.2, 0.4], rho0=[0.6, 0.9])
    return Experiment(
        name="claim-b",
        title="(b) put South Korea at the centre",
        claim="adding South Korea (a signal about N's type, or side payments) raises the chance of a deal",
        quote="the United States should prioritize North-South reconciliation ... leverage Seoul even more (Kristian 2019)",
        policies=["sfs-screen", "sfs-rok", "sfs-trust", "sfs-trust-rok"],
        points=pts,
        comparisons=[
            Comparison("ROK side payments raise P(partial deal)", "sfs-rok", "sfs-screen", "p_partial"),
            Comparison("ROK side payments raise P(full deal)", "sfs-rok", "sfs-screen", "p_deal"),
            Comparison(
                "a ROK signal raises P(partial deal) under the trust switch", "sfs-trust-rok", "sfs-trust", "p_partial"
            ),
            Comparison(
                "a ROK signal lowers P(crisis) under the trust switch", "sfs-trust-rok", "sfs-trust", "p_crisis"
            ),
        ],
        method="ROK as Kydd mediator: signal precision tau_rok and war-averse bias rok_bias; ROK side payments "
        "rok_side; with and without ROK (a run of the spatial models on this claim is not part of this engine)",
    )


def _claim_c() -> Experiment:
    pts = _grid(rho0=[0.3, 0.6, 0.9], pi_S=[0.3, 0.6, 0.9])
    pts += [
        Point(
            "KMT: many hold-outs, cheap early steps, weak detection",
            {"pi_S": 0.2, "d": 0.01, "D": [0.0, 0.01, 0.03, 0.08, 0.2, 1.0], "rho0": 0.9},
        ),
        Point("Downs-Rocke: large first step", {"D": [0.0, 0.3, 0.5, 0.7, 0.85, 1.0]}),
        Point("salami: small final step", {"D": [0.0, 0.1, 0.3, 0.5, 0.7, 1.0]}),
    ]
    return Experiment(
        name="claim-c",
        title="(c) incremental give-and-take beats all-or-nothing",
        claim="step-for-step beats all-or-nothing",
        quote="a legitimate give-and-take instead of the tired Washington playbook, which requires full capitulation "
        "before any sanctions are removed (Kristian 2019)",
        policies=["aon", "sfs-screen", "sfs-linear", "sfs-front", "grit"],
        points=pts,
        comparisons=[
            Comparison(
                "step-for-step beats all-or-nothing on P(full deal by the election)", "sfs-screen", "aon", "p_deal"
            ),
            Comparison("step-for-step beats all-or-nothing on P(partial deal)", "sfs-screen", "aon", "p_partial"),
            Comparison("step-for-step leaves a smaller arsenal in Nov 2020", "sfs-screen", "aon", "arsenal_E"),
            Comparison("step-for-step lowers P(crisis)", "sfs-screen", "aon", "p_crisis"),
        ],
        method="AoN vs SfS schedules across the prior grid rho0 x pi_S, plus Kartal-Mueller-Tremewan conditions "
        "(many hold-outs, cheap early steps, low detection) and Downs-Rocke step sizes (Downs & Rocke 1990)",
    )


def _claim_d() -> Experiment:
    return Experiment(
        name="claim-d",
        title="(d) deterrence and missile defence add leverage",
        claim="missile defence raises the chance of a deal without raising the risk of war",
        quote="If Trump wants to exercise more leverage ... he needs to bolster America's defences ... more sites at "
        "Fort Greely (the 'What's Next' op-ed, Dec 2019)",
        policies=["aon", "aon-bmd", "sfs-screen"],
        points=_grid(e_BMD=[0.2, 0.4, 0.6], c_U=[0.3, 0.9], rho0=[0.6, 0.9]),
        comparisons=[
            Comparison("missile defence raises P(full deal)", "aon-bmd", "aon", "p_deal"),
            Comparison("missile defence does not raise P(war)", "aon-bmd", "aon", "p_war"),
            Comparison("missile defence lowers P(crisis)", "aon-bmd", "aon", "p_crisis"),
        ],
        method="vary e_BMD (less coercive value for N) and c_U (US war cost); Powell 2003: the US presses harder "
        "(more threats, c_U' = c_U (1 - e_BMD) in the risk-return formula) (Powell 2003; Fearon 1995)",
    )


def _claim_e() -> Experiment:
    base: dict[str, Any] = {}
    pts = [
        Point("base", base),
        Point("kappa=0", {"kappa": 0.0}),
        Point("kappa=1", {"kappa": 1.0}, baseline="kappa=0"),
        Point("q=0.9", {"q": 0.9}),
        Point("q=0.2", {"q": 0.2}, baseline="q=0.9"),
        Point("eta=1", {"eta": 1.0}),
        Point("eta=0.3", {"eta": 0.3}, baseline="eta=1"),
        Point("election t_E=20", {"t_E": 20}, baseline="base"),
    ]
    return Experiment(
        name="claim-e",
        title="(e) the election clock presses for a deal",
        claim="pre-election pressure raises the chance of a deal; turnover risk lowers it",
        quote="Trump needs to strike a deal with Kim Jong Un, and fast (the 'What's Next' op-ed, Dec 2019)",
        policies=["aon-deadline", "sfs-screen", "aon"],
        points=pts,
        comparisons=[
            Comparison(
                "more pre-election generosity (kappa) raises P(partial deal) under aon-deadline",
                "aon-deadline",
                "",
                "p_partial",
                across=True,
                only=("kappa=1",),
            ),
            Comparison(
                "more pre-election generosity (kappa) raises P(partial deal) under step-for-step",
                "sfs-screen",
                "",
                "p_partial",
                across=True,
                only=("kappa=1",),
            ),
            Comparison(
                "more pre-election generosity (kappa) raises P(full deal) under aon-deadline",
                "aon-deadline",
                "",
                "p_deal",
                across=True,
                only=("kappa=1",),
            ),
            Comparison(
                "turnover risk (q, eta lower) lowers P(partial deal) under step-for-step",
                "sfs-screen",
                "",
                "p_partial",
                across=True,
                claimed="lower",
                only=("q=0.2", "eta=0.3"),
            ),
            Comparison(
                "turnover risk (q, eta lower) lowers P(partial deal) under aon-deadline",
                "aon-deadline",
                "",
                "p_partial",
                across=True,
                claimed="lower",
                only=("q=0.2", "eta=0.3"),
            ),
            Comparison(
                "more generosity before the election makes N wait (a later first step) under step-for-step",
                "sfs-screen",
                "",
                "first_step_month",
                across=True,
                claimed="higher",
                only=("kappa=1",),
            ),
            Comparison(
                "an earlier election lowers P(partial deal by the election) under step-for-step",
                "sfs-screen",
                "",
                "p_partial",
                across=True,
                claimed="lower",
                only=("election t_E=20",),
            ),
        ],
        method="one-at-a-time: kappa (generosity in the window), q (re-election), eta (successor honours), t_E; "
        "each changed point is compared with its baseline point (Simsek & Yildiz 2016)",
    )


def _claim_f() -> Experiment:
    pts = []
    for lam in (0.6, 0.9):
        pts.append(Point(f"no war of words, lam={lam}", {"rhetoric": 0.0, "lam": lam}))
        for r in (1.0, 2.0, 4.0):
            pts.append(
                Point(f"rhetoric={r}, lam={lam}", {"rhetoric": r, "lam": lam}, baseline=f"no war of words, lam={lam}")
            )
    return Experiment(
        name="claim-f",
        title="(f) escalating rhetoric raises the risk of crisis",
        claim="a war of words raises P(crisis)",
        quote="The war of words between the US and North Korea is starting to escalate (the 'What's Next' op-ed, Dec 2019)",
        policies=["aon", "sfs-screen"],
        points=pts,
        comparisons=[
            Comparison(
                "the war of words raises P(crisis) under all-or-nothing",
                "aon",
                "",
                "p_crisis",
                across=True,
                claimed="higher",
            ),
            Comparison(
                "the war of words raises P(crisis) under step-for-step",
                "sfs-screen",
                "",
                "p_crisis",
                across=True,
                claimed="higher",
            ),
            Comparison(
                "the war of words raises P(war) under all-or-nothing", "aon", "", "p_war", across=True, claimed="higher"
            ),
        ],
        method="scale US threats by 'rhetoric' (0 = no war of words) at two tension persistences lam ("
        "the least-squares fit of lam, alpha, beta on ICEWS needs event data that are not shipped)",
    )


EXPERIMENTS = {e.name: e for e in (_claim_a(), _claim_b(), _claim_c(), _claim_d(), _claim_e(), _claim_f())}


def get_experiment(name: str) -> Experiment:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UnknownNameError(f"unknown experiment {name!r}; expected one of {', '.join(EXPERIMENTS)}") from None


# --------------------------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class ExperimentResult(display.SummaryRepr):
    """One claim experiment's metrics at every point, verdicts and winners (a :class:`~detente.results.Result`)."""

    experiment: Experiment
    metrics: dict[str, dict[str, dict[str, dict[str, float]]]]  # point -> policy -> metric -> {value, lo, hi}
    verdicts: list[dict[str, Any]]
    winners: list[dict[str, Any]]
    summary: list[str]
    seed: int | None
    paths: int
    params: dict[str, Any]
    scenario: str | None
    scenario_hash: str | None
    version: str
    extra: dict[str, Any] = field(default_factory=dict)

    frame_columns: ClassVar[tuple[str, ...]] = ("point", "policy", "metric", "value", "lo", "hi")
    """The columns of :meth:`frame`."""

    def _summary(self) -> display.Summary:
        e = self.experiment
        facts = [("experiment", e.name), ("claim", e.claim), ("points", str(len(self.metrics))),
                 ("paths", str(self.paths)), ("seed", str(self.seed))]
        rows = [[str(v["comparison"]), str(v["point"]), str(v["verdict"])] for v in self.verdicts]
        return display.Summary("ExperimentResult", facts, ["comparison", "point", "verdict"], rows)

    def frame(self) -> pd.DataFrame:
        """Long table: point, policy, metric, value, lo, hi."""
        rows = []
        for pt, pols in self.metrics.items():
            for pol, ms in pols.items():
                for m, v in ms.items():
                    rows.append({"point": pt, "policy": pol, "metric": m, **v})
        return pd.DataFrame(rows, columns=list(self.frame_columns))

    def provenance(self) -> dict[str, Any]:
        """Experiment, scenario and its hash, version, seed, paths and the base parameters."""
        return {
            "experiment": self.experiment.name,
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "version": self.version,
            "seed": self.seed,
            "paths": self.paths,
            "base_parameters": _r(self.params),
        }

    def figure(self) -> Figure:
        """Each policy's P(deal), arsenal and P(crisis) by point (:func:`detente.report.strategy.experiment_figure`)."""
        from detente.report.strategy import experiment_figure

        return experiment_figure(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``detente experiment NAME --format json``."""
        e = self.experiment
        return {
            "experiment": e.name,
            **{k: v for k, v in e.describe().items() if k not in ("name", "points")},
            "paths": self.paths,
            "seed": self.seed,
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "version": self.version,
            "base_parameters": _r(self.params),
            "points": [
                {
                    "label": p.label,
                    "overrides": _r(p.overrides),
                    "baseline": p.baseline,
                    "policies": _r(self.metrics[p.label]),
                }
                for p in e.points
            ],
            "comparisons": self.verdicts,
            "winners": self.winners,
            "summary": self.summary,
            **self.extra,
        }


def judge(a: dict[str, float], b: dict[str, float], better: str) -> str:
    """'holds' if a differs from b in the claimed direction (``better``: 'higher' or 'lower') with separated 95%
    intervals, 'fails' if separated the other way, else 'undecided'."""
    if better == "higher":
        if a["lo"] > b["hi"]:
            return "holds"
        if a["hi"] < b["lo"]:
            return "fails"
    else:
        if a["hi"] < b["lo"]:
            return "holds"
        if a["lo"] > b["hi"]:
            return "fails"
    return "undecided"


def _powell_check(pt_params: StrategyParams) -> dict[str, Any]:
    """Powell's single-shift condition for the one big step (0 -> K) and for each step k -> k+1."""
    D = np.asarray(pt_params.D)
    p = pt_params.p_armed + (pt_params.p_disarmed - pt_params.p_armed) * D
    args = (pt_params.c_N_war, pt_params.c_U_war, pt_params.delta)
    big = bool(powell_shift_war(p[0], p[-1], *args))
    steps = [int(k) for k in range(len(D) - 1) if powell_shift_war(p[k], p[k + 1], *args)]
    return {"all_at_once_commitment_problem": big, "sfs_steps_with_commitment_problem": steps}


def run_experiment(
    name: str,
    *,
    paths: int = 4000,
    seed: int | None = 0,
    base: StrategyParams | None = None,
    scenario: str | None = None,
    scenario_hash: str | None = None,
) -> ExperimentResult:
    """Run one experiment; points that share the time grid are simulated as one batch per policy."""
    from detente import __version__

    exp = get_experiment(name)
    base = base or StrategyParams()
    pts = {p.label: base.with_(**p.overrides) for p in exp.points}
    groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for label, prm in pts.items():
        groups[(prm.T, prm.t_E, prm.window, prm.small_stage, prm.K)].append(label)
    metrics: dict[str, dict[str, dict[str, dict[str, float]]]] = {p.label: {} for p in exp.points}
    with progress(None, len(groups) * len(exp.policies), "experiment") as advance:
        for labels in groups.values():
            pb = ParamBatch([pts[lb] for lb in labels])
            for pol in exp.policies:
                ps = simulate(pb, pol, paths, seed=seed)
                for b, lb in enumerate(labels):
                    metrics[lb][pol] = point_metrics(ps, b)
                advance()
    verdicts = []
    for cmp in exp.comparisons:
        better = cmp.claimed or METRICS[cmp.metric][1]
        for p in exp.points:
            if cmp.only is not None and p.label not in cmp.only:
                continue
            if cmp.across:
                if p.baseline is None:
                    continue
                a, b_ = metrics[p.label][cmp.a][cmp.metric], metrics[p.baseline][cmp.a][cmp.metric]
            else:
                a, b_ = metrics[p.label][cmp.a][cmp.metric], metrics[p.label][cmp.b][cmp.metric]
            verdicts.append(
                {
                    "comparison": cmp.text,
                    "point": p.label,
                    "against": p.baseline if cmp.across else cmp.b,
                    "metric": cmp.metric,
                    "a": _r(a),
                    "b": _r(b_),
                    "verdict": judge(a, b_, better),
                }
            )
    winners = []
    for p in exp.points:
        for m in WINNER_METRICS:
            better = METRICS[m][1]
            vals = {pol: metrics[p.label][pol][m] for pol in exp.policies}
            order = sorted(vals, key=lambda k: vals[k]["value"], reverse=(better == "higher"))
            best, second = order[0], order[1] if len(order) > 1 else order[0]
            clear = judge(vals[best], vals[second], better) == "holds" if best != second else True
            winners.append(
                {"point": p.label, "metric": m, "winner": best, "clear": bool(clear), "value": _r(vals[best]["value"])}
            )
    extra: dict[str, Any] = {}
    if exp.name == "claim-a":
        extra["powell_check"] = {lb: _powell_check(prm) for lb, prm in pts.items()}
    res = ExperimentResult(
        experiment=exp,
        metrics=metrics,
        verdicts=verdicts,
        winners=winners,
        summary=[],
        seed=seed,
        paths=paths,
        params=base.model_dump(),
        scenario=scenario,
        scenario_hash=scenario_hash,
        version=__version__,
        extra=extra,
    )
    res.summary = summarise(res)
    return res


def _list(labels: list[str], n: int = 4) -> str:
    if not labels:
        return "none"
    head = "; ".join(labels[:n])
    return head + (f"; and {len(labels) - n} more" if len(labels) > n else "")


def summarise(res: ExperimentResult) -> list[str]:
    """Plain-language sentences generated from the verdicts and winners (no hand-written conclusions)."""
    exp = res.experiment
    lines = [f"{exp.title}. Tested claim: {exp.claim}. {res.paths} paths per policy and point, seed {res.seed}."]
    by_cmp: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for v in res.verdicts:
        label = v["point"] if v["against"] in exp.policies or not v["against"] else f"{v['point']} vs {v['against']}"
        by_cmp[v["comparison"]][v["verdict"]].append(label)
    for text, d in by_cmp.items():
        n = sum(len(x) for x in d.values())
        lines.append(
            f"'{text}': holds at {len(d['holds'])} of {n} points ({_list(d['holds'])}); "
            f"fails at {len(d['fails'])} ({_list(d['fails'])}); "
            f"undecided (95% intervals overlap) at {len(d['undecided'])}."
        )
    for m in WINNER_METRICS:
        counts: dict[str, int] = defaultdict(int)
        for w in res.winners:
            if w["metric"] == m:
                counts[w["winner"] + ("" if w["clear"] else " (not clear)")] += 1
        parts = ", ".join(f"{k} at {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        lines.append(f"Best on {METRICS[m][0]}: {parts} points.")
    if "powell_check" in res.extra:
        pc = res.extra["powell_check"]
        n_big = sum(v["all_at_once_commitment_problem"] for v in pc.values())
        n_small = sum(bool(v["sfs_steps_with_commitment_problem"]) for v in pc.values())
        lines.append(
            f"Powell's single-shift condition: the all-at-once step carries a commitment problem at {n_big} of "
            f"{len(pc)} points; at least one step-for-step step does at {n_small}."
        )
    return lines


def figure(res: ExperimentResult) -> Any:
    """The experiment's chart (:func:`detente.report.strategy.experiment_figure`)."""
    from detente.report.strategy import experiment_figure

    return experiment_figure(res)


__all__ = ["EXPERIMENTS", "ExperimentResult", "figure", "get_experiment", "month_labels", "run_experiment"]
