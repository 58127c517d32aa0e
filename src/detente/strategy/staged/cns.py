"""Testing behaviour fitted by maximum likelihood to the CNS North Korea Missile Test Database.

Data: the James Martin Center for Nonproliferation Studies' CNS North Korea Missile Test Database (for NTI), as kept
by the public repository ``nagix/nk-missile-tests`` (``data/test.en.json`` at commit a0cc658, 2026-04-21), read at
run time from ``../shared/data/korea/`` beside the repository; the files are not shipped. A test *day* is a distinct
date, in Korean time (UTC+9) when the record has a time, else the record's date. A month's category is 2 (strategic)
if any record that month is an ICBM, IRBM or satellite launch vehicle, 1 for any other test, else 0.

Likelihood (Rust 1987; the fit window Mar 2019 - Jan 2021, the ``hanoi`` rule in force, the moratorium held, no relief,
no crisis, no exploitation act): a forward filter over North Korea's type and belief node, each month multiplying by
the chance of the observed action (hold at the moratorium, test or not) and of the observed test days
(1 + Poisson(λ_d) in a campaign month). Fitted: the mean test value μ_τ and its shift while the border is closed
κ_cov (L-BFGS-B); λ_d has a closed form (mean extra days per campaign month). The strategic-test premium Δ₂ is not
identified (no strategic test in the window: the likelihood only rises as Δ₂ falls) and keeps its prior.

The figures derived from the file are recorded below with their source, so that the package does not need the data.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detente import display

SOURCE = (
    "CNS North Korea Missile Test Database (James Martin Center for Nonproliferation Studies, for NTI), via "
    "github.com/nagix/nk-missile-tests data/test.en.json at commit a0cc658 (2026-04-21)"
)
STRATEGIC_TYPES = ("ICBM", "IRBM", "SLV")

# Derived from the file above by `detente strategy-fit` (recomputed and checked by the tests when the data exist).
# Test days per month (distinct recorded dates), Mar 2019 - Jan 2021 (months 0..22):
TEST_DAYS_2019_2021 = (0, 1, 2, 0, 2, 5, 1, 2, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
# Maximum-likelihood estimates on that window (sweep grid, every other parameter central; the border closure of
# Feb 2020 unanticipated, as the scenario codes it), with standard errors from the observed information, recorded
# from `detente strategy-fit`: log-likelihood -26.34 over 23 months (AIC 58.68, BIC 62.09). The naive models on the
# same months: -27.60 (one rate; AIC 59.20) and -23.39 (two rates, before and after the border closure; AIC 52.78);
# the engine's likelihood also prices every month's decision to hold the moratorium, which the naive models take as
# given. Profile of the strategic-test premium (Δ₂, held at its prior centre -1 in the fit), recorded when the
# closure was still anticipated: -26.14 at -3, -26.19 at -2, -26.38 at -1 (flat: not identified).
FITTED_CENTRAL: dict[str, float] = {"mu_tau": -0.1320, "kappa_cov": -0.4853, "lambda_d": 1.25}
FITTED_SE: dict[str, float] = {"mu_tau": 0.171, "kappa_cov": 0.197, "lambda_d": 0.395}


def default_data_dir() -> Path:
    """``../shared/data/korea`` beside the repository root (``$DETENTE_SHARED/data/korea`` when that is set)."""
    import os

    root = os.environ.get("DETENTE_SHARED")
    base = Path(root) if root else Path(__file__).resolve().parents[4].parent / "shared"
    return base / "data" / "korea"


@dataclass(frozen=True)
class Launch:
    date: dt.date  # as recorded (UTC per the source notes)
    korean_date: dt.date  # UTC+9 when a time is recorded, else the recorded date
    missile: str
    kind: str


def load_launches(data_dir: Path | None = None) -> list[Launch]:
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    tests = json.loads((d / "nk_missile_tests_cns_via_nagix.json").read_text(encoding="utf-8"))
    types = json.loads((d / "nk_missile_types_via_nagix.json").read_text(encoding="utf-8"))
    out = []
    for b in tests["timeBins"]:
        for r in b["data"]:
            text = str(r["date"])
            if len(text) == 7:  # month only (early records): the first of the month
                text += "-01"
            day = dt.date.fromisoformat(text)
            kd = day
            tm = str(r.get("time", ""))
            if "UTC" in tm:
                hh, mm = (int(x) for x in tm.split()[0].split(":"))
                kd = (dt.datetime.combine(day, dt.time(hh, mm)) + dt.timedelta(hours=9)).date()
            kind = types.get(r["missile"], {}).get("type", "unknown")
            out.append(Launch(day, kd, r["missile"], kind))
    return out


def monthly(launches: list[Launch], start: str, months: int, *, korean: bool = True) -> tuple[list[int], list[int]]:
    """(test days, category) per month from ``start`` (YYYY-MM)."""
    y0, m0 = (int(x) for x in start.split("-"))
    days: dict[int, set[dt.date]] = defaultdict(set)
    strat: dict[int, bool] = defaultdict(bool)
    for la in launches:
        d = la.korean_date if korean else la.date
        k = (d.year - y0) * 12 + (d.month - m0)
        if 0 <= k < months:
            days[k].add(d)
            strat[k] |= la.kind in STRATEGIC_TYPES
    n = [len(days[k]) for k in range(months)]
    cat = [0 if n[k] == 0 else (2 if strat[k] else 1) for k in range(months)]
    return n, cat


# ---------------------------------------------------------------------------------------------- likelihood
def log_likelihood(game: Any, days: tuple[int, ...] | list[int], lambda_d: float,
                   predictive: list[float] | None = None) -> float:
    """Log-likelihood of the observed months under the game (forward filter over type and belief node). With
    ``predictive``, appends each month's one-step-ahead chance of a test month given that the North holds the
    moratorium and given every earlier month."""
    from detente.strategy.staged.space import ACTIONS

    game.solve()
    sp = game.space
    cal = game.calendar
    jp_t, y_t, c_t, ok_t = ACTIONS.table
    nt = game.types.n

    # observed administration at the start of each month: incumbent, defeated after the election, then successor
    def adm(t: int) -> int:
        return 0 if t <= cal.election else (1 if t <= cal.inauguration else 2)

    alpha = np.zeros((sp.n_states, nt))
    alpha[game.s0] = game.types.weight
    ll = 0.0
    for t, D in enumerate(days):
        y = 1 if D > 0 else 0
        slot = int(np.nonzero(ok_t[1] & (jp_t[1] == 1) & (y_t[1] == y) & (c_t[1] == 0))[0][0])
        k = game.kernel(t)
        pi = game.policy(t)
        rows = np.nonzero(k.row_k == slot)[0]
        rows = rows[(k.f["j"][rows] == 1)]
        rs = k.row_s[rows]
        weight = alpha[rs] * pi[rows]
        if predictive is not None:
            both = []
            for yy in (0, 1):
                sl = int(np.nonzero(ok_t[1] & (jp_t[1] == 1) & (y_t[1] == yy) & (c_t[1] == 0))[0][0])
                rr = np.nonzero((k.row_k == sl) & (k.f["j"] == 1))[0]
                both.append(float((alpha[k.row_s[rr]] * pi[rr]).sum()))
            predictive.append(both[1] / (both[0] + both[1]))
        if y:
            extra = D - 1
            ll += (extra * math.log(lambda_d) if extra else 0.0) - lambda_d - math.lgamma(extra + 1)
        nxt = k.P[rows].T @ weight
        # condition on the observed successor: moratorium, relief as before (none paid), no act seen, administration
        j, r, i, nx, a = sp.components
        keep = np.zeros(sp.n_states, dtype=bool)
        keep[: sp.n_live] = (j == 1) & (nx == 0) & (a == adm(t + 1)) & (r == 0)
        nxt[~keep] = 0.0
        tot = nxt.sum()
        ll += math.log(tot)
        alpha = nxt / tot
    return ll


@dataclass
class FitResult:
    estimates: dict[str, float]
    se: dict[str, float]
    loglik: float
    n_months: int
    baselines: dict[str, float]
    aic: float
    bic: float
    profile: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    predicted: list[float] = field(default_factory=list)
    observed: list[int] = field(default_factory=list)
    source: str = SOURCE

    def __repr__(self) -> str:
        return display.text(self._summary())

    def _repr_html_(self) -> str:
        return display.html(self._summary())

    def _summary(self) -> display.Summary:
        facts = [("months", str(self.n_months)), ("log-likelihood", display.fmt(self.loglik, 6)),
                 ("AIC", display.fmt(self.aic, 6)), ("BIC", display.fmt(self.bic, 6))]
        rows = [[k, display.fmt(v, 4), display.fmt(self.se.get(k), 3)] for k, v in self.estimates.items()]
        return display.Summary("FitResult", facts, ["parameter", "estimate", "se"], rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "window": f"{self.n_months} months from 2019-03",
            "estimates": self.estimates,
            "standard_errors": self.se,
            "log_likelihood": self.loglik,
            "aic": self.aic,
            "bic": self.bic,
            "naive_models_log_likelihood": self.baselines,
            "profiles": {k: [list(p) for p in v] for k, v in self.profile.items()},
            "predicted_test_month_probability": self.predicted,
            "observed_test_days": self.observed,
        }


def _days_loglik(days: list[int], lam: float) -> float:
    return sum((D - 1) * math.log(lam) - lam - math.lgamma(D) for D in days if D > 0)


def naive_baselines(days: list[int], split: int) -> dict[str, float]:
    """M0: one monthly chance of a campaign month; M1: two chances, before and after ``split`` (the border
    closure); both with the same Poisson test days as the engine."""
    n = len(days)
    ymo = [1 if d > 0 else 0 for d in days]
    lam = sum(d - 1 for d in days if d > 0) / max(1, sum(ymo))
    dl = _days_loglik(days, lam)

    def bern(ys: list[int]) -> float:
        p = sum(ys) / len(ys)
        return sum(math.log(p if y else 1 - p) for y in ys if (p if y else 1 - p) > 0)

    m0 = bern(ymo) + dl
    m1 = bern(ymo[:split]) + bern(ymo[split:]) + dl
    return {"M0 one rate": m0, "M1 two rates": m1, "M0 aic": -2 * m0 + 2 * 2, "M1 aic": -2 * m1 + 2 * 3, "n": float(n)}


def fit(
    days: list[int] | tuple[int, ...] = TEST_DAYS_2019_2021,
    *,
    grid: Any = None,
    profile_points: int = 0,
    verbose: bool = False,
) -> FitResult:
    from scipy import optimize

    from detente.strategy.staged.game import SWEEP_GRID, make_game
    from detente.strategy.staged.rules import PRESETS

    grid = grid or SWEEP_GRID
    days = list(days)
    camp = [d for d in days if d > 0]
    lam = sum(d - 1 for d in camp) / max(1, len(camp))

    def nll(x: np.ndarray) -> float:
        g = make_game(PRESETS["hanoi"], {"mu_tau": float(x[0]), "kappa_cov": float(x[1]), "lambda_d": lam}, grid=grid)
        return -log_likelihood(g, days, lam)

    def nll_logged(x: np.ndarray) -> float:
        v = nll(x)
        if verbose:
            print(f"mu_tau={x[0]:.4f} kappa_cov={x[1]:.4f} negative log-likelihood={v:.4f}", flush=True)
        return v

    res = optimize.minimize(
        nll_logged,
        np.array([FITTED_CENTRAL["mu_tau"], FITTED_CENTRAL["kappa_cov"]]),
        method="L-BFGS-B",
        bounds=[(-4, 2), (-4, 3)],
        options={"eps": 1e-4, "maxiter": 40},
    )
    x = res.x
    h = 0.05
    H = np.zeros((2, 2))
    f0 = float(res.fun)
    for a in range(2):
        for b in range(a, 2):
            ea, eb = np.eye(2)[a] * h, np.eye(2)[b] * h
            H[a, b] = H[b, a] = (nll(x + ea + eb) - nll(x + ea - eb) - nll(x - ea + eb) + nll(x - ea - eb)) / (
                4 * h * h
            )
    try:
        cov = np.linalg.inv(H)
        se = {"mu_tau": float(math.sqrt(max(cov[0, 0], 0))), "kappa_cov": float(math.sqrt(max(cov[1, 1], 0)))}
    except np.linalg.LinAlgError:
        se = {"mu_tau": float("nan"), "kappa_cov": float("nan")}
    se["lambda_d"] = math.sqrt(lam / max(1, len(camp)))
    ll = -f0
    k = 3
    base = naive_baselines(days, 11)
    g = make_game(PRESETS["hanoi"], {"mu_tau": float(x[0]), "kappa_cov": float(x[1]), "lambda_d": lam}, grid=grid)
    from detente.strategy.staged.forward import forward

    pred = list(forward(g, len(days)).test_month)
    return FitResult(
        estimates={"mu_tau": float(x[0]), "kappa_cov": float(x[1]), "lambda_d": lam},
        se=se,
        loglik=ll,
        n_months=len(days),
        baselines=base,
        aic=-2 * ll + 2 * k,
        bic=-2 * ll + k * math.log(len(days)),
        predicted=[float(p) for p in pred],
        observed=days,
    )


# Climatology of test months, 1993-2017 (300 months), and month-to-month transitions, from the same CNS file:
# 37 months with a test; after a quiet month 16 of 262 had a test, after a test month 21 of 37.
CLIMATOLOGY: dict[str, tuple[int, int]] = {"test_months": (37, 300), "quiet_then_test": (16, 262),
                                           "test_then_test": (21, 37)}


def replay(days: list[int] | tuple[int, ...] = TEST_DAYS_2019_2021, *, grid: Any = None) -> dict[str, Any]:
    """The 2019-2020 replay on the exact CNS test months: one-step-ahead log scores (natural logs; higher is better)
    of "is this a month with tests?" for the engine (parameters fitted on the same months: in-sample) and for naive
    forecasters: M0 one running rate, M1 running rates before and after the border closure, B1 the 1993-2017
    climatology, B2 a two-state Markov chain fitted on 1993-2017 (add-one smoothing)."""
    from detente.strategy.staged.game import SWEEP_GRID, make_game
    from detente.strategy.staged.rules import PRESETS

    days = list(days)
    y = [1 if d > 0 else 0 for d in days]
    g = make_game(PRESETS["hanoi"], grid=grid or SWEEP_GRID)
    pred: list[float] = []
    camp = [d for d in days if d > 0]
    log_likelihood(g, days, sum(d - 1 for d in camp) / max(1, len(camp)), predictive=pred)
    c = CLIMATOLOGY
    b1 = (c["test_months"][0] + 1) / (c["test_months"][1] + 2)
    q0 = (c["quiet_then_test"][0] + 1) / (c["quiet_then_test"][1] + 2)
    q1 = (c["test_then_test"][0] + 1) / (c["test_then_test"][1] + 2)
    split = g.calendar.covid if g.calendar.covid is not None else len(y)
    forecasts: dict[str, list[float]] = {"engine (in-sample)": pred, "M0 one running rate": [],
                                         "M1 two running rates": [], "B1 climatology 1993-2017": [],
                                         "B2 Markov chain 1993-2017": []}
    for t in range(len(y)):
        forecasts["M0 one running rate"].append((sum(y[:t]) + 1) / (t + 2))
        lo = 0 if t < split else split
        forecasts["M1 two running rates"].append((sum(y[lo:t]) + 1) / (t - lo + 2))
        forecasts["B1 climatology 1993-2017"].append(b1)
        forecasts["B2 Markov chain 1993-2017"].append(q1 if (t > 0 and y[t - 1]) else q0)
    scores = {k: float(sum(math.log(p if yy else 1 - p) for p, yy in zip(v, y, strict=True)))
              for k, v in forecasts.items()}
    best = max(scores, key=lambda k: scores[k])
    return {"months": len(y), "observed_test_months": y, "forecasts": forecasts, "log_scores": scores,
            "best": best,
            "statement": (f"the engine scores {scores['engine (in-sample)']:.2f} nats; "
                          + ("it beats every naive forecaster" if best == "engine (in-sample)" else
                             f"the naive forecaster '{best}' beats it ({scores[best]:.2f} nats)"))}


def prequential(days: list[int] | tuple[int, ...] = TEST_DAYS_2019_2021, *, first: int = 6, grid: Any = None,
                maxiter: int = 40, penalised: bool = False) -> dict[str, Any]:
    """The prequential log score (Dawid 1984) of "is this a month with tests?": for each month t from ``first``
    (default 6 = Sep 2019) the testing parameters are refitted by maximum likelihood on the months before t only
    (starting from their prior centres, then from the previous month's fit), and month t is forecast from the
    fitted game given every earlier month. Out of sample, unlike :func:`replay`. The naive running rates M0 and
    M1 are prequential by construction and scored on the same months.

    With ``penalised`` the refit maximises the likelihood plus the log density of the two parameters' pre-fit priors
    (N(−1.5, 1) and N(0, 1): a maximum a posteriori estimate), which keeps a parameter seen in one month only (the
    border-closure shift, just after the closure) from going to an extreme. The refit of month t solves the game on
    the calendar known at month t − 1 (:meth:`Calendar.foreseen`): a shock nobody foresaw that comes later changes
    none of the earlier choices, so the likelihood is the same, only cheaper."""
    from scipy import optimize

    from detente.strategy.staged.game import SWEEP_GRID, Calendar, make_game
    from detente.strategy.staged.priors import BY_NAME
    from detente.strategy.staged.rules import PRESETS

    grid = grid or SWEEP_GRID
    pre = (BY_NAME["mu_tau"].dist, BY_NAME["kappa_cov"].dist)
    days = list(days)
    y = [1 if d > 0 else 0 for d in days]
    x0 = np.array([float(BY_NAME["mu_tau"].dist.mean()), float(BY_NAME["kappa_cov"].dist.mean())])
    engine: list[float] = []
    fits: list[dict[str, float]] = []
    for t in range(first, len(days)):
        past = days[:t]
        camp = [d for d in past if d > 0]
        lam = sum(d - 1 for d in camp) / len(camp) if camp else FITTED_CENTRAL["lambda_d"]

        def nll(x: np.ndarray, past: list[int] = past, lam: float = lam, t: int = t) -> float:
            g = make_game(PRESETS["hanoi"], {"mu_tau": float(x[0]), "kappa_cov": float(x[1])}, grid=grid,
                          calendar=Calendar().foreseen(t - 1))
            pen = -float(pre[0].logpdf(x[0]) + pre[1].logpdf(x[1])) if penalised else 0.0
            return -log_likelihood(g, past, lam) + pen

        res = optimize.minimize(nll, x0, method="L-BFGS-B", bounds=[(-4, 2), (-4, 3)],
                                options={"eps": 1e-4, "maxiter": maxiter})
        x0 = np.asarray(res.x, dtype=float)
        g = make_game(PRESETS["hanoi"], {"mu_tau": float(x0[0]), "kappa_cov": float(x0[1])}, grid=grid)
        pred: list[float] = []
        log_likelihood(g, days[: t + 1], max(lam, 1e-9), predictive=pred)  # month t's days do not enter pred[t]
        engine.append(pred[t])
        fits.append({"month": float(t), "mu_tau": float(x0[0]), "kappa_cov": float(x0[1])})
    split = 11  # the border closure (Feb 2020 = month 11)
    m0 = [(sum(y[:t]) + 1) / (t + 2) for t in range(first, len(y))]
    m1 = [(sum(y[(0 if t < split else split):t]) + 1) / (t - (0 if t < split else split) + 2)
          for t in range(first, len(y))]
    obs = y[first:]

    def ls(ps: list[float]) -> float:
        return float(sum(math.log(p if o else 1 - p) for p, o in zip(ps, obs, strict=True)))

    scores = {"engine (refitted each month)": ls(engine), "M0 one running rate": ls(m0), "M1 two running rates": ls(m1)}
    return {"first_month": first, "months": len(obs), "observed_test_months": obs, "engine_forecasts": engine,
            "fits": fits, "log_scores": scores, "penalised": penalised}
