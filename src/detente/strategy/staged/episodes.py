"""Historical episodes coded month by month and scored by the log score of the engine's one-step forecasts.

The episodes (Agreed Framework 1994-2002, Six-Party Talks 2005-09, Leap Day 2012, Singapore to Hanoi 2018-19) are
data, ``detente/data/episodes/korea.yaml``: every dated event with its source and what the source supports. The
file was coded before any score was computed and its SHA-256 is recorded here (:data:`REGISTERED_SHA256`); the
scorer refuses a file that differs unless ``unregistered=True``, and then labels every result "NOT PRE-REGISTERED".

Each month is one category: hold, advance or abort, each with the month's test class (none, short-range,
strategic), or exit (leaving an agreed stage; in the engine an exit always comes with strategic tests, so the test
class of an exit month is not scored separately). The engine's forecast of month t is its choice probabilities at
the observed state (stage, relief status, whether an exploitation act has been seen; belief node at the baseline
exposure, incumbent administration), averaged over North Korea's types with weights updated by Bayes' rule from the
months before t (a forward filter over the type); the rule in force is the episode's, a member of the rule family.
Every parameter is at its prior centre (none is fitted to the episodes), except that the COVID border closure is
absent before 2020. The forecast mixes in a share ``floor`` of the uniform forecast, fixed in the coded file, so
that an event the engine's action set cannot produce costs a finite amount.

Baselines, all prequential (Dawid 1984) with add-one smoothing over the categories possible at the month's stage:
**uniform**; **climatology**, category frequencies over the other episodes' months and this episode's earlier
months; **persistence**, a first-order Markov chain on categories from the same months. The log score is proper
(Gneiting & Raftery 2007); a loss to a baseline is reported as it comes out.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from detente.errors import ParameterError
from detente.strategy.staged.game import Game, Grid, make_game
from detente.strategy.staged.rules import Phase, Rule
from detente.strategy.staged.space import ACTIONS, CVID_STARTED

REGISTERED_SHA256 = "8c80f62921154b4493d55233b3802c39528d51cd132692e23620f8326607011c"
RELIEF = {"delivered": 0, "statutory-blocked": 1, "suspended": 2}
METHODS = ("engine", "uniform", "climatology", "persistence")
PRIOR = "engine over prior draws"


def default_path() -> Path:
    return Path(str(resources.files("detente") / "data" / "episodes" / "korea.yaml"))


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def universe(j: int) -> tuple[str, ...]:
    """The categories possible at stage j."""
    cats = [f"{m}-{y}" for m in ("hold", "advance") for y in (0, 1, 2)]
    if j >= 1:
        cats.append("exit")
    if j == CVID_STARTED:
        cats += [f"abort-{y}" for y in (0, 1, 2)]
    return tuple(cats)


def category(j: int, jp: int, y: int) -> str:
    if jp == j:
        return f"hold-{y}"
    if jp > j:
        return f"advance-{y}"
    if jp == 0:
        return "exit"
    return f"abort-{y}"


@dataclass(frozen=True)
class Month:
    label: str
    stage: int
    relief: int
    act_seen: int
    category: str


@dataclass
class Episode:
    id: str
    title: str
    rule: Rule
    months: list[Month]
    sources: list[str] = field(default_factory=list)


def _month_key(label: str) -> int:
    y, m = (int(x) for x in str(label)[:7].split("-"))
    return y * 12 + m - 1


def _label(k: int) -> str:
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _episode(raw: dict[str, Any], where: str) -> Episode:
    try:
        eid = str(raw["id"])
        k0, k1 = _month_key(str(raw["from"])), _month_key(str(raw["to"]))
        st = raw["start"]
        rule = Rule(eid, Phase(**raw["rule"]), meaning=str(raw.get("rule_note", "")))
        events = sorted(raw["events"], key=lambda e: str(e["date"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ParameterError(f"{where}: episode {str(raw.get('id', '?'))[:40]!r}: {exc}; expected id, from, to, "
                             "start, rule and events") from exc
    j, r, nx = int(st["stage"]), RELIEF[st["relief"]], int(bool(st["act_seen"]))
    by_month: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        if "source" not in e or "supports" not in e:
            raise ParameterError(f"{where}: episode {eid!r}, event {e.get('date')!s}: every event needs 'source' "
                                 "and 'supports'")
        by_month.setdefault(_month_key(str(e["date"])), []).append(e)
    months = []
    for k in range(k0, k1 + 1):
        ev = by_month.get(k, [])
        jp, y = j, 0
        for e in ev:
            jp = int(e.get("stage", jp))
            y = max(y, int(e.get("test", 0)))
        months.append(Month(_label(k), j, r, nx, category(j, jp, y)))
        for e in ev:
            if "relief" in e:
                r = RELIEF[e["relief"]]
            if "act_seen" in e:
                nx = int(bool(e["act_seen"]))
        j = jp
    return Episode(eid, str(raw.get("title", eid)), rule, months, [str(e["source"]) for e in events])


def load(path: Path | None = None, *, unregistered: bool = False) -> tuple[list[Episode], float, str]:
    """(episodes, floor, sha256) from the coded file; refuses a file whose hash is not the registered one."""
    p = Path(path) if path is not None else default_path()
    digest = sha256(p)
    if digest != REGISTERED_SHA256 and not unregistered:
        raise ParameterError(f"{p}: SHA-256 {digest[:16]}... is not the registered {REGISTERED_SHA256[:16]}...; "
                             "the episodes were changed after registration (score with unregistered=True to see "
                             "NOT PRE-REGISTERED results)")
    raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    eps = [_episode(e, str(p)) for e in raw["episodes"]]
    return eps, float(raw["floor"]), digest


# ---------------------------------------------------------------------------------------------- forecasts
def _stationary_policy(game: Game) -> tuple[Any, np.ndarray]:
    V = game.solve_stationary()
    k = game.kernel(None)
    Q = game.flow_N(None) + game.params["delta_N"] * (k.P @ V)
    return k, np.asarray(k.f["w"][:, None] * np.exp((Q - V[k.row_s]) / game.sigma))


def engine_forecasts(ep: Episode, grid: Grid | None = None, params: dict[str, float] | None = None
                     ) -> list[dict[str, float]]:
    """The engine's one-step forecast (category -> probability) for each month of the episode, unmixed; at the
    central parameters, or at ``params``."""
    game = make_game(ep.rule, {"c_cov_inf": 0.0}, grid=grid or Grid(), params=params)
    k, pi = _stationary_policy(game)
    jp_t, y_t, _c, _ok = ACTIONS.table
    w = game.types.weight.copy()
    out = []
    for m in ep.months:
        s = int(game.space.index(m.stage, m.relief, 0, m.act_seen, 0))
        rows = np.nonzero(k.row_s == s)[0]
        per: dict[str, np.ndarray] = {}
        for row in rows:
            slot = int(k.row_k[row])
            c = category(m.stage, int(jp_t[m.stage, slot]), int(y_t[m.stage, slot]))
            per[c] = per.get(c, 0.0) + pi[row]
        out.append({c: float(per[c] @ w) if c in per else 0.0 for c in universe(m.stage)})
        like = per.get(m.category)
        if like is not None and float(like @ w) > 0:
            w = w * like
            w = w / w.sum()
    return out


def _counted(cats: list[str], pairs: list[tuple[str, str]], prev: str | None, u: tuple[str, ...],
             markov: bool) -> dict[str, float]:
    if markov and prev is not None:
        n = Counter(b for a, b in pairs if a == prev)
    else:
        n = Counter(cats)
    tot = sum(n[c] for c in u) + len(u)
    return {c: (n[c] + 1) / tot for c in u}


@dataclass
class Scores:
    sha256: str
    registered: bool
    floor: float
    table: list[dict[str, Any]]  # one row per episode: id, months, log scores by method, zero-probability months
    forecasts: dict[str, list[dict[str, Any]]]

    def total(self, method: str) -> float:
        return float(sum(r[method] for r in self.table))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"sha256": self.sha256, "floor": self.floor, "episodes": self.table,
                             "total": {m: self.total(m) for m in METHODS + (PRIOR,) if m in self.table[0]}}
        if not self.registered:
            d["note"] = "NOT PRE-REGISTERED"
        return d


def prior_draws(n: int, seed: int = 0) -> list[dict[str, float]]:
    """``n`` parameter points drawn from the priors (the fitted testing parameters from their Laplace posterior:
    the estimate and its standard error, kept inside the prior's support)."""
    from detente.strategy.staged import priors
    from detente.strategy.staged.cns import FITTED_CENTRAL, FITTED_SE

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = {}
        for pr in priors.REGISTRY:
            if pr.name in FITTED_CENTRAL:
                lo, hi = pr.bounds
                x = rng.normal(FITTED_CENTRAL[pr.name], FITTED_SE[pr.name])
                p[pr.name] = float(min(max(x, lo + 1e-9), hi))
            else:
                p[pr.name] = float(pr.sample(rng, 1)[0])
        out.append(p)
    return out


def _prior_predictive(ep: Episode, grid: Grid | None, draws: list[dict[str, float]]) -> list[float]:
    """The prior-predictive chance of each observed month given the earlier ones: a Bayesian average of the
    engine's forecasts over parameter draws, each draw weighted by its likelihood of the months before."""
    per = np.array([[f[m.category] for m, f in zip(ep.months, engine_forecasts(ep, grid, d))] for d in draws])
    logw = np.zeros(len(draws))
    out = []
    for t in range(per.shape[1]):
        w = np.exp(logw - logw.max())
        w /= w.sum()
        out.append(float(w @ per[:, t]))
        logw += np.log(np.maximum(per[:, t], 1e-300))
    return out


def score(path: Path | None = None, *, grid: Grid | None = None, unregistered: bool = False, draws: int = 0,
          seed: int = 0) -> Scores:
    """Log scores (nats, natural log) of the engine and the three baselines on every coded episode. With ``draws``,
    also the engine's prior-predictive score (``engine over prior draws``): its forecasts averaged over that many
    parameter draws from the priors (:func:`prior_draws`, seeded), each weighted by its likelihood of the episode's
    earlier months; no parameter is fitted to the episodes either way."""
    eps, floor, digest = load(path, unregistered=unregistered)
    table, fc = [], {}
    pts = prior_draws(draws, seed) if draws > 0 else []
    for ep in eps:
        others = [m.category for e in eps if e.id != ep.id for m in e.months]
        pairs = [(a.category, b.category) for e in eps if e.id != ep.id for a, b in zip(e.months, e.months[1:])]
        eng = engine_forecasts(ep, grid)
        prior_p = _prior_predictive(ep, grid, pts) if pts else None
        ls = dict.fromkeys(METHODS, 0.0)
        if prior_p is not None:
            ls[PRIOR] = 0.0
        zero = 0
        rows = []
        prev: str | None = None
        seen: list[str] = []
        seen_pairs: list[tuple[str, str]] = []
        for t, (m, f) in enumerate(zip(ep.months, eng)):
            u = universe(m.stage)
            if m.category not in u:
                raise ParameterError(f"episode {ep.id!r}, {m.label}: category {m.category!r} not possible at "
                                     f"stage {m.stage}")
            zero += f[m.category] <= 0.0
            p = {
                "engine": (1 - floor) * f[m.category] + floor / len(u),
                "uniform": 1 / len(u),
                "climatology": _counted(others + seen, [], None, u, False)[m.category],
                "persistence": _counted(others + seen, pairs + seen_pairs, prev, u, True)[m.category],
            }
            if prior_p is not None:
                p[PRIOR] = (1 - floor) * prior_p[t] + floor / len(u)
            for meth in p:
                ls[meth] += math.log(p[meth])
            test_p = sum(v for c, v in f.items() if c == "exit" or not c.endswith("-0"))
            rows.append({"month": m.label, "stage": m.stage, "observed": m.category,
                         "p_test_month": test_p, **{f"p_{k}": v for k, v in p.items()}})
            if prev is not None:
                seen_pairs.append((prev, m.category))
            seen.append(m.category)
            prev = m.category
        table.append({"id": ep.id, "title": ep.title, "months": len(ep.months), **ls,
                      "engine_zero_probability_months": int(zero)})
        fc[ep.id] = rows
    return Scores(digest, digest == REGISTERED_SHA256, floor, table, fc)


# ---------------------------------------------------------------------------------------------- leave one out
LOO_BOUNDS = (-4.0, 2.0)  # the box of the CNS fit for the mean test value


def _episode_loglik(ep: Episode, floor: float, grid: Grid | None, mu_tau: float) -> float:
    """Log score of the engine on ``ep`` (forecasts mixed with the uniform share ``floor``) at the central values
    with the mean test value ``mu_tau``: the episode's log-likelihood as a function of that one parameter."""
    from detente.strategy.staged.priors import central

    p = central()
    p["mu_tau"] = float(mu_tau)
    fc = engine_forecasts(ep, grid, p)
    return float(sum(math.log((1 - floor) * f[m.category] + floor / len(universe(m.stage)))
                     for m, f in zip(ep.months, fc, strict=True)))


def leave_one_out(path: Path | None = None, *, grid: Grid | None = None, unregistered: bool = False,
                  xatol: float = 0.01) -> dict[str, Any]:
    """The leave-one-episode-out table: for each episode the mean test value μ_τ is refitted by maximum likelihood
    on the other episodes only (every other parameter at its central value; bounded Brent search on [−4, 2] to
    ``xatol``), and the held-out episode is scored at that value. The central column (μ_τ from the CNS fit of
    2019-21) is beside it. Nothing is fitted to the held-out episode."""
    from scipy import optimize

    from detente.strategy.staged.priors import central

    eps, floor, digest = load(path, unregistered=unregistered)
    memo: dict[tuple[str, float], float] = {}

    def ll(ep: Episode, mu: float) -> float:
        key = (ep.id, round(float(mu), 12))
        if key not in memo:
            memo[key] = _episode_loglik(ep, floor, grid, mu)
        return memo[key]

    mu0 = central()["mu_tau"]
    rows: list[dict[str, Any]] = []
    for ep in eps:
        others = [e for e in eps if e.id != ep.id]
        res = optimize.minimize_scalar(lambda m, others=others: -sum(ll(e, m) for e in others), bounds=LOO_BOUNDS,
                                       method="bounded", options={"xatol": xatol})
        mu = float(res.x)
        rows.append({"id": ep.id, "title": ep.title, "months": len(ep.months), "mu_tau_fitted_on_others": mu,
                     "at_bound": bool(min(abs(mu - LOO_BOUNDS[0]), abs(mu - LOO_BOUNDS[1])) < 2 * xatol),
                     "engine, mu_tau refitted on the others": ll(ep, mu), "engine, mu_tau from the CNS fit":
                     ll(ep, mu0)})
    out: dict[str, Any] = {"sha256": digest, "floor": floor, "mu_tau_cns": mu0, "episodes": rows,
                           "total": {k: float(sum(float(r[k]) for r in rows)) for k in
                                     ("engine, mu_tau refitted on the others", "engine, mu_tau from the CNS fit")}}
    if digest != REGISTERED_SHA256:
        out["note"] = "NOT PRE-REGISTERED"
    return out
