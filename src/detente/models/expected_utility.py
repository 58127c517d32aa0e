"""Bueno de Mesquita's expected-utility model ("Policon"), as replicated by Scholz, Calbert & Smith (2011).

Sources: J. Scholz, G. Calbert & G. Smith, "Unravelling Bueno de Mesquita's group decision model", ICAART 2011,
pp. 18-30 (doi 10.5220/0003121500180030; J. Theoretical Politics 23(4):510-531); B. Bueno de Mesquita, *The War
Trap* (1981) and "The war trap revisited" (APSR 1985), "Political forecasting: an expected utility method" (in
*European Community Decision Making*, 1994), "A decision making model: its structure and form" (Int. Interactions
1997). Equation numbers are the ICAART version's; the equations themselves live in :mod:`._eu_kernel`.

Per issue (the model is one-dimensional) and per round: the weighted median μ, the first pass of expected utilities
at r = 1, the security levels and risk exponents r_i ∈ [0.5, 2], the second pass, the classification of every
ordered pair into conflict / compromise / capitulation / stalemate, each actor's choice among the offers it receives,
and a simultaneous update of positions. Scholz et al.'s printed equations do not reproduce their own published
results, so every ambiguous step is an option (see the ``Params`` docs): preset ``scholz_compat`` reproduces the one
public code that matches the paper (jmckib/bdm-scholz-expected-utility-model) round by round; preset ``default`` is
the principled reading of the print (eq. 31 probability, the target's salience, own-r utilities, least-move offer
selection) with a stopping rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.errors import ParameterError, UnknownNameError
from detente.execution.device import current as current_device
from detente.execution.runner import step as progress_step
from detente.models import _eu_kernel as K
from detente.models._eu_xp import PAIR_ELEMENTS, play_round_on
from detente.models.base import Keep, Model, Solution, register
from detente.models.contract import Capabilities, RunState, array, info, table
from detente.scenario.arrays import ScenarioArrays

if TYPE_CHECKING:  # pandas loads when the tables are built
    import pandas as pd

__all__ = ["ExpectedUtility", "ExpectedUtilityParams", "perspective"]

# problems (draw × issue) per vectorised chunk: bounds the (chunk, n, n, n) voter tensors to ~ this many floats
_CHUNK_ELEMENTS = 4_000_000
# problems per round loop: one loop (one tail of slow problems) for up to this many, whatever the kernel blocks
_GROUP_PROBLEMS = 50_000
# pairwise entries (problems × n × n) per kernel call: ~0.5 MB float temporaries, which stay in the CPU caches
# (measured on korea-2019, 8 actors: 512-1,024 problems per call run ~10 % faster than 2,048)
_BLOCK_ELEMENTS = 65_536


class ExpectedUtilityParams(BaseModel):
    """Parameters of the expected-utility model. Defaults = preset ``default``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    p_success: Literal["eq31", "global", "net"] = Field(
        "eq31",
        description="Probability of success P^i_ij: 'eq31' as printed (eq. 30/31, P^i_ij + P^j_ji = 1); 'global' "
        "the Scholz-code normaliser over all voters and ordered pairs (with each voter's r in the second pass); "
        "'net' net support floored at 0 (dmasad).",
    )
    reverse_salience: Literal["target", "printed"] = Field(
        "target",
        description="Salience in E^j(U_ji): 'target' uses the target's s_i (symmetry with eq. 25a); 'printed' uses "
        "s_j as eq. 25b prints it (in the security levels too).",
    )
    risk_perspective: Literal["own", "mover"] = Field(
        "own",
        description="Risk exponent in E(U_ji) as it enters i's decision: 'own' j's own r_j (eq. 25b); 'mover' i's "
        "r_i, i.e. i's estimate (the Scholz-code reading).",
    )
    offer_selection: Literal["least_move", "most_enforceable", "scholz_code"] = Field(
        "least_move",
        description="How an actor picks among the offers it receives: 'least_move' (conflict it loses, then "
        "compromise, then capitulation; least move within), 'most_enforceable' (highest proposer EU, then least "
        "move), 'scholz_code' (as least_move but the compromise with the numerically smallest weighted average; "
        "depends on the scale's orientation).",
    )
    conflict: Literal["full_move", "no_move"] = Field(
        "full_move",
        description="Confrontation outcome: 'full_move' the loser moves to the winner's position (BDM 1984 octants, "
        "Scholz); 'no_move' conflict is uncertain and nobody moves (BDM 1997 p. 244).",
    )
    capitulation: Literal["full_move", "no_move"] = Field(
        "full_move",
        description="Capitulation (Scholz fig. 6: the side that expects to lose more gives in): 'full_move' the "
        "weaker side moves to the other's position; 'no_move' nobody moves, as in the one public code that "
        "reproduces Scholz et al. (its capitulation branch is unreachable).",
    )
    Q: float = Field(1.0, ge=0.0, le=1.0, description="Probability of the status quo (BDM 1985 and Scholz: 1.0).")
    range: Literal["initial", "dynamic", "scale"] | float = Field(
        "initial",
        description="R, the range that normalises distances: 'initial' the initial spread of positions (all "
        "replications), 'dynamic' recomputed every round, 'scale' the issue's scale width, or a fixed number "
        "(at least the initial spread).",
    )
    max_rounds: int = Field(100, ge=0, le=100_000, description="Most rounds to run.")
    tol: float = Field(
        1e-6,
        ge=0.0,
        description="Converged when no position moves more than tol × R in a round (0: only an exact fixed point).",
    )
    stable_rounds: int | None = Field(
        None, ge=1, description="Also converged when the median moves at most tol × R for this many rounds (None: off)."
    )
    stop_on_cycle: bool = Field(
        True,
        description="Stop when the positions repeat those of an earlier round (an exact cycle); the status is "
        "'cycling' either way.",
    )
    cycle_window: int = Field(
        12,
        ge=2,
        le=1000,
        description="Rounds looked back for exact cycles; at the round limit, a median that reversed direction at "
        "least twice in this window is reported as 'cycling' (approximate).",
    )
    zero: float = Field(1e-12, ge=0.0, description="Expected utilities with |E| ≤ zero count as 0 when classifying.")
    same: float = Field(
        1e-9,
        ge=0.0,
        le=1e-3,
        description="Actors whose positions differ by at most same × the spread of positions hold one position and "
        "do not bargain (a guard against rounding; 0: exact equality, as the replication).",
    )
    outcome: Literal["median", "mean"] = Field(
        "median", description="The forecast per issue: the median voter at the stop (BDM) or the weighted mean."
    )


_SCHOLZ = {
    "p_success": "global",
    "reverse_salience": "target",
    "risk_perspective": "mover",
    "offer_selection": "scholz_code",
    "conflict": "full_move",
    "capitulation": "no_move",
    "Q": 1.0,
    "range": "initial",
    "max_rounds": 30,
    "tol": 0.0,
    "stop_on_cycle": False,
    "zero": 0.0,
    "same": 0.0,
}
_DEFAULT = {k: f.default for k, f in ExpectedUtilityParams.model_fields.items()}


@register
class ExpectedUtility(Model[ExpectedUtilityParams]):
    """Bueno de Mesquita's expected-utility model (Scholz, Calbert & Smith 2011 reading), per issue."""

    name = "expected-utility"
    capabilities = Capabilities(round_based=True)
    summary = "Bueno de Mesquita's expected-utility model (Scholz et al. 2011 replication), rounds of offers"
    Params = ExpectedUtilityParams
    presets = {"default": _DEFAULT, "scholz_compat": _SCHOLZ}
    default_preset = "default"
    outputs = (
        table(
            "offers",
            "draw, round, issue, actor, proposer, kind, from, to",
            "every accepted offer: who moved, on whose offer, which kind (conflict, compromise, capitulation)",
        ),
        table(
            "stop",
            "draw, issue, status, rounds, outcome, mean, median_min, median_max, cycle, period",
            "why and where each issue stopped, with the median's range at the stop",
        ),
        array("median", "(B, R, m)", "the weighted median voter position by round"),
        array("mean", "(B, R, m)", "the capability × salience weighted mean position by round"),
        array("risk", "(B, R, n, m)", "each actor's risk exponent r_i by round (NaN at round 0 and after the stop)"),
        array("offer_kind", "(B, R, n, m) int8", "the kind of offer each actor accepted by round (0: none)"),
        array("median_range", "(B, 2, m)", "the median's lowest and highest value over the stop's window"),
        info("rounds", "list of {round, issue, median, mean}", "draw 0's median and mean by round"),
        info("stop", "dict issue → {status, rounds, median, mean, median_min, …}", "draw 0's stopping report"),
    )

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        return solve_arrays(arrays, self.params)

    def _solve_rounds(
        self,
        arrays: ScenarioArrays,
        rng: np.random.Generator,
        keep: Keep,
        stop_after: int | None,
        start: RunState | None,
    ) -> Solution:
        """Without histories for ``keep="final"`` (trajectory: the positions at each issue's stop); ``rng`` is
        unused (the model is deterministic)."""
        return solve_arrays(arrays, self.params, histories=keep == "full", stop_after=stop_after, start=start)


# ---- the round loop -------------------------------------------------------------------------------------------


def _flatten(arrays: ScenarioArrays) -> dict[str, np.ndarray]:
    """(B, n, m) → problems (B·m, n), problem index = b·m + issue."""
    B, n, m = arrays.position.shape

    def f(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.transpose(a, (0, 2, 1)).reshape(B * m, n))

    return {
        "x": f(arrays.position).astype(float),
        "w": f(arrays.weight).astype(float),
        "s": f(arrays.salience).astype(float),
        "mask": f(arrays.mask).astype(bool),
        "width": np.tile(arrays.upper - arrays.lower, B).astype(float),
    }


def _initial_range(x: np.ndarray, mask: np.ndarray, width: np.ndarray, spec: Any) -> np.ndarray:
    hi = np.max(np.where(mask, x, -np.inf), axis=1)
    lo = np.min(np.where(mask, x, np.inf), axis=1)
    spread = np.where(mask.any(axis=1), hi - lo, 0.0)
    if spec == "scale":
        R = width.copy()
    elif spec in ("initial", "dynamic"):
        R = spread.copy()
    else:
        R = np.full(x.shape[0], float(spec))
        if float(spec) <= 0 or np.any(spread > R * (1 + 1e-12)):
            raise ParameterError(
                f"model 'expected-utility': parameter range={spec!r} is smaller than the initial spread of positions "
                f"({float(spread.max()):g}); expected a number ≥ the spread, or 'initial', 'dynamic', 'scale'"
            )
    # all actors at one point: distances are 0 anyway, any positive R will do
    return np.where(R > 0, R, np.where(width > 0, width, 1.0))


def _run(
    p: dict[str, np.ndarray],
    prm: ExpectedUtilityParams,
    block: int,
    histories: bool = True,
    stop_after: int | None = None,
    init: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The round loop over all problems; finished problems drop out of the computation.

    ``stop_after``: stop after that round (the run's state at the stop is returned, see :func:`_start`); ``init``:
    the state to continue from (:func:`_start`), whose rounds, median history, stopping counters, cycle buffer and
    range R continue here exactly as in one run.

    Each round evaluates the kernels on the active problems in blocks of at most ``block`` problems (to bound the
    memory of the pairwise arrays) and records only the active rows (``records``: round, problem indices, new
    positions, risk exponents, offer kinds, proposers; none when ``histories`` is False); :func:`_assemble` builds
    the full histories once at the end.
    Exact cycles are looked up in a ring buffer of the last ``cycle_window`` positions of every problem.
    """
    x, w, s, mask = p["x"], p["w"], p["s"], p["mask"]
    Pn, n = x.shape
    R0 = _initial_range(x, mask, p["width"], prm.range) if init is None else init["R0"]
    opts: dict[str, Any] = dict(
        p_success=prm.p_success,
        reverse_salience=prm.reverse_salience,
        risk_perspective=prm.risk_perspective,
        Q=prm.Q,
        offer_selection=prm.offer_selection,
        conflict=prm.conflict,
        capitulation=prm.capitulation,
        zero=prm.zero,
        same=prm.same,
    )
    stop_tol = max(prm.tol, 1e-12)
    backend = current_device()  # None: the numpy kernel; else the array API kernel on that device
    if backend is not None:
        block = max(block, PAIR_ELEMENTS // max(n * n, 1))
    W = max(1, min(prm.cycle_window, prm.max_rounds))  # ring buffer: positions after round u sit in slot u % W
    if init is None:
        t0 = 0
        cur = x.copy()
        med = [K.weighted_median(x, w, mask)]
        active = np.ones(Pn, bool)
        converged = np.zeros(Pn, bool)
        rounds = np.zeros(Pn, int)
        period = np.zeros(Pn, int)  # exact cycle period (0: none)
        still = np.zeros(Pn, int)  # consecutive rounds with an unchanged median
        ring = np.empty((W, Pn, n))  # slot-major: a round's positions are written to one contiguous slab
        ring[0] = x
    else:
        t0, cur, med = init["t"], init["cur"].copy(), list(init["median"])
        active, converged, rounds = init["active"].copy(), init["converged"].copy(), init["rounds"].copy()
        period, still, ring = init["period"].copy(), init["still"].copy(), init["ring"].copy()
    # (without histories only the final mean is needed)
    mean = [K.weighted_mean(cur, w, mask)] if histories else []
    records: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    flat_ring = ring.reshape(W, Pn * n)
    nobody = np.logical_not(mask.any(axis=1))
    owned = True  # whether ``cur`` may be updated in place (not an array held by ``records``)
    mw, mt = K.median_weights(w, mask)
    count = -1  # problems active in the previous round (the active set only shrinks)
    new, mu_now = x, med[0]  # the previous round's positions and medians (first read in round 2)
    last = prm.max_rounds if stop_after is None else min(prm.max_rounds, stop_after)
    for t in range(t0 + 1, last + 1):
        progress_step(t - 1, prm.max_rounds)
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        if idx.size != count:  # the problems' constant data, gathered again only when some problem stopped
            count = idx.size
            everyone = idx.size == Pn
            sel: slice | np.ndarray = slice(None) if everyone else idx  # views while every problem runs
            ma, wa, sa, R0a, weights = mask[sel], w[sel], s[sel], R0[sel], (mw[sel], mt[sel])
            at, nob, lim = idx * n, nobody[idx][:, None], stop_tol * R0a[:, None]  # at: row starts in the ring
            xa, prev_mu = cur[sel], med[-1][sel]
        else:  # the same problems as in the previous round
            xa, prev_mu = new, mu_now
        Ra = R0a
        if prm.range == "dynamic":
            hi = np.max(np.where(ma, xa, -np.inf), axis=1)
            lo = np.min(np.where(ma, xa, np.inf), axis=1)
            Ra = np.where(hi - lo > 0, hi - lo, Ra)
        parts = []
        nblocks = -(-idx.size // block)
        step = -(-idx.size // nblocks)  # equal blocks of at most `block` problems
        for c in range(0, idx.size, step):
            b = slice(c, c + step)
            if backend is None:
                parts.append(K.play_round(xa[b], wa[b], sa[b], ma[b], Ra[b], prev_mu[b], **opts))
            else:
                parts.append(play_round_on(backend, xa[b], wa[b], sa[b], ma[b], Ra[b], prev_mu[b], **opts))
        if len(parts) == 1:
            new, kind, j, r = parts[0]
        else:
            new, kind, j, r = (np.concatenate(z) for z in zip(*parts))
        if histories:
            records.append((t, idx, new, np.where(ma, r, np.nan), kind.astype(np.int8), j.astype(np.int32)))
        mu_now = K.weighted_median(new, wa, ma, weights)
        _extend(med, mu_now, idx, everyone)
        if histories:
            _extend(mean, K.weighted_mean(new, wa, ma), idx, everyone)
        rounds[sel] = t
        # stopping rules, in units of R
        moved = np.where(ma, np.abs(new - xa), 0.0)
        conv = K._row_max(moved) <= prm.tol * R0a
        if prm.stable_rounds is not None:
            still[sel] = np.where(np.abs(mu_now - prev_mu) <= prm.tol * R0a, still[sel] + 1, 0)
            conv |= still[sel] >= prm.stable_rounds
        # exact cycle: the new positions repeat those of round t − lag, 2 ≤ lag ≤ cycle_window
        top = min(prm.cycle_window, t)
        if top >= 2:
            slots = (t - np.arange(2, top + 1)) % W  # lag 2 first
            # necessary condition first: the actor that moved most in this round is back where it was (exactly the
            # same test on that actor); problems without actors are always candidates
            most = np.argmax(moved, axis=1)
            back = flat_ring[slots[:, None], (at + most)[None, :]].T  # (problems, lags)
            cand = np.abs(np.take(new, np.arange(0, idx.size * n, n) + most)[:, None] - back) <= lim
            cand &= ~conv[:, None]
            cand |= nob
            hit = np.zeros(cand.shape, bool)
            pr, pl = np.nonzero(cand)  # the (problem, lag) candidates: all actors compared
            if pr.size:
                past = ring[slots[pl], idx[pr]]  # (candidates, n)
                dev = np.where(ma[pr], np.abs(new[pr] - past), 0.0)
                hit[pr, pl] = (K._row_max(dev) <= lim[pr, 0]) & ~conv[pr]
            cyc = hit.any(axis=1)
            fresh = cyc & (period[sel] == 0)
            period[idx[fresh]] = 2 + np.argmax(hit, axis=1)[fresh]  # the smallest period
            if prm.stop_on_cycle:
                active[idx[cyc]] = False
        ring[t % W, sel] = new
        if everyone:
            cur, owned = new, not histories  # if recorded too: copied before the first partial update below
        else:
            if not owned:
                cur, owned = cur.copy(), True
            cur[idx] = new
        converged[idx[conv]] = True
        active[idx[conv]] = False
    med_a = np.stack(med)  # (T, Pn)
    mean_a = np.stack(mean) if histories else None
    status, lo_m, hi_m, cycle_kind = _classify(med_a, rounds, converged, period, R0, prm.cycle_window, stop_tol)
    return {
        "final": cur,
        "records": records,
        "median": med_a,
        "mean": mean_a,
        "status": status,
        "rounds": rounds,
        "period": period,
        "median_min": lo_m,
        "median_max": hi_m,
        "cycle": cycle_kind,
        "T": med_a.shape[0],
        "t0": t0,
        "state": {
            "R0": R0,
            "active": active,
            "converged": converged,
            "still": still,
            "ring": ring,
            "cur": cur,
        },
    }


def _start(state: RunState, flat: dict[str, np.ndarray], prm: ExpectedUtilityParams) -> dict[str, Any]:
    """The round loop's state to continue from (all problems, draw-major): exactly the stopped run's, or after
    :meth:`RunState.restart` the new positions with every problem running again (no cycle remembered across the
    restart; the range R widened to the new spread for ``range='initial'``)."""
    st = state.internal
    Pn, n = flat["x"].shape
    init = {
        "t": state.round,
        "median": st["median"],
        "R0": st["R0"],
        "rounds": st["rounds"],
        "period": st["period"],
        "active": st["active"],
        "converged": st["converged"],
        "still": st["still"],
        "ring": st["ring"],
        "cur": st["cur"],
    }
    if not state.restarted:
        return init
    x, w, mask = flat["x"], flat["w"], flat["mask"]
    W = max(1, min(prm.cycle_window, prm.max_rounds))
    ring = np.full((W, Pn, n), np.nan)
    ring[state.round % W] = x
    R0 = st["R0"]
    if prm.range == "initial":
        R0 = np.maximum(R0, _initial_range(x, mask, flat["width"], "initial"))
    elif prm.range not in ("dynamic", "scale"):
        _initial_range(x, mask, flat["width"], prm.range)  # refuses a fixed R below the new spread
    med = np.array(st["median"], copy=True)
    if med.shape[0] < state.round + 1:  # every problem had stopped: the median stayed where it was until now
        med = np.concatenate([med, np.repeat(med[-1:], state.round + 1 - med.shape[0], axis=0)])
    med[-1] = K.weighted_median(x, w, mask)
    return {
        **init,
        "median": med,
        "R0": R0,
        "rounds": np.full(Pn, state.round),
        "period": np.zeros(Pn, int),
        "active": np.ones(Pn, bool),
        "converged": np.zeros(Pn, bool),
        "still": np.zeros(Pn, int),
        "ring": ring,
        "cur": x.copy(),
    }


def _extend(series: list[np.ndarray], now: np.ndarray, idx: np.ndarray, everyone: bool) -> None:
    """Append a round's per-problem values: ``now`` for the active problems ``idx``, the last values elsewhere."""
    if everyone:
        series.append(now)
    else:
        row = series[-1].copy()
        row[idx] = now
        series.append(row)


def _classify(
    med: np.ndarray,
    rounds: np.ndarray,
    converged: np.ndarray,
    period: np.ndarray,
    R0: np.ndarray,
    window: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Status per problem and the median's range at the stop.

    converged → the median at the stop; an exact cycle → 'cycling' with the range over one period; otherwise the
    range over the last ``window`` rounds, and 'cycling' (approximate) when the median reversed direction at least
    twice in that window (moves of at most tol × R ignored), else 'max_rounds'.
    """
    Pn = rounds.size
    conv_med = med[rounds, np.arange(Pn)]
    lo, hi = conv_med.copy(), conv_med.copy()
    reversals = np.zeros(Pn, np.intp)
    rest = np.flatnonzero(~converged)  # the window's statistics are needed only where the problem did not converge
    if rest.size:
        span = np.where(period[rest] > 0, period[rest], window)
        L = int(max(window, int(period.max(initial=0)))) + 1
        back = np.arange(L)[None, :]
        rows = rounds[rest, None] - back  # rounds at the stop, going back
        ok = (back <= span[:, None]) & (rows >= 0)
        vals = med[np.clip(rows, 0, None), rest[:, None]]
        lo[rest] = np.where(ok, vals, np.inf).min(axis=1)
        hi[rest] = np.where(ok, vals, -np.inf).max(axis=1)
        steps = vals[:, :-1] - vals[:, 1:]
        sig = ok[:, 1:] & (np.abs(steps) > tol * R0[rest, None])
        sg = np.where(sig, np.sign(steps), 0.0)
        pos = np.where(sg != 0, np.arange(L - 1)[None, :], -1)
        last = np.maximum.accumulate(pos, axis=1)
        prev = np.concatenate([np.full((rest.size, 1), -1), last[:, :-1]], axis=1)  # previous significant step
        prev_sign = np.where(prev >= 0, np.take_along_axis(sg, np.clip(prev, 0, None), axis=1), 0.0)
        reversals[rest] = np.count_nonzero((sg != 0) & (prev_sign != 0) & (sg != prev_sign), axis=1)
    exact = ~converged & (period > 0)
    approx = ~converged & ~exact & (reversals >= 2)
    status = np.where(converged, "converged", np.where(exact | approx, "cycling", "max_rounds")).astype(object)
    cycle = np.full(Pn, None, dtype=object)
    cycle[exact] = "exact"
    cycle[approx] = "approximate"
    return status, lo, hi, cycle


def _assemble(
    parts: list[dict[str, Any]], starts: list[int], flat: dict[str, np.ndarray], B: int, m: int, T: int, t0: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Full histories in the output layout (B, T, n, m) from the recorded active rows, written once (row 0: round
    ``t0``, where the run started).

    Trajectory: positions after each round, the final positions after a problem's stop, NaN where an actor is
    absent. Risk exponents: NaN at round 0, after the stop and for absent actors. Offer kinds: 0 where nobody moved.
    Also returns the accepted offers (round, problem, actor, proposer, kind code), ordered by round, problem, actor.
    """
    x, mask = flat["x"], flat["mask"]
    Pn, n = x.shape
    final = np.concatenate([p["final"] for p in parts]) if len(parts) > 1 else parts[0]["final"]
    final = np.where(mask, final, np.nan)
    traj = np.empty((B, T, n, m))
    traj[...] = np.ascontiguousarray(final.reshape(B, m, n).transpose(0, 2, 1))[:, None]
    traj[:, 0] = np.where(mask, x, np.nan).reshape(B, m, n).transpose(0, 2, 1)
    risk = np.full((B, T, n, m), np.nan)
    kind = np.zeros((B, T, n, m), np.int8)
    by_round: dict[int, list[tuple[np.ndarray, ...]]] = {}
    for p, q0 in zip(parts, starts):
        for t, idx, new, r, kd, pj in p["records"]:
            q = idx + q0
            b, k = q // m, q % m
            traj[b, t - t0, :, k] = np.where(mask[q], new, np.nan)
            risk[b, t - t0, :, k] = r
            kind[b, t - t0, :, k] = kd
            rr, ii = np.nonzero(kd)
            by_round.setdefault(t, []).append((q[rr], ii, pj[rr, ii], kd[rr, ii]))
    offers = [(np.full(q.size, t), q, i, j, c) for t in sorted(by_round) for q, i, j, c in by_round[t]]
    if offers:
        cols = tuple(np.concatenate(c) for c in zip(*offers))
    else:
        cols = tuple(np.zeros(0, int) for _ in range(5))
    return traj, risk, kind, cols


def solve_arrays(
    arrays: ScenarioArrays,
    prm: ExpectedUtilityParams,
    *,
    histories: bool = True,
    stop_after: int | None = None,
    start: RunState | None = None,
) -> Solution:
    """Run the model on every draw and issue of ``arrays`` (one round loop; kernels vectorised in blocks).

    ``histories=False`` skips what only the full output needs (the per-round trajectory, risk exponents and offer
    kinds, the offers and stop tables, the info): the trajectory is then (B, 1, n, m), the positions at each issue's
    stop. Outcomes, status and rounds are the same either way. ``stop_after`` stops after that round; ``start``
    continues a stopped run (its positions are ``arrays.position``); the per-round outputs then cover the rounds
    from the start on, and ``rounds`` counts from the beginning of the run. The run's state is ``Solution.state``.
    """
    B, n, m = arrays.position.shape
    flat = _flatten(arrays)
    Pn = B * m
    size = max(1, _CHUNK_ELEMENTS // max(n * n * (n + 2), 1))
    # one round loop over all problems (so that a few slow problems cost one tail, not one per chunk), in groups
    # whose bookkeeping stays modest; the kernels run on blocks of active problems small enough for the (n, n)
    # temporaries to stay in cache
    group = max(size, _GROUP_PROBLEMS)
    block = max(1, min(size, _BLOCK_ELEMENTS // max(n * n, 1)))
    starts = list(range(0, Pn, group)) or [0]
    init = _start(start, flat, prm) if start is not None else None

    def part(c: int) -> dict[str, Any] | None:
        if init is None:
            return None
        return {
            k: (v if k == "t" else v[:, c : c + group] if k in ("median", "ring") else v[c : c + group])
            for k, v in init.items()
        }

    parts = [
        _run({k: v[c : c + group] for k, v in flat.items()}, prm, block, histories, stop_after, part(c)) for c in starts
    ]
    T = max(p["T"] for p in parts)
    t0 = parts[0]["t0"]

    def cat(key: str) -> np.ndarray:  # (T0, Pn) series padded to T rounds by repeating the last entry
        if len(parts) == 1:
            return parts[0][key]
        return np.concatenate(
            [np.concatenate([p[key], np.repeat(p[key][-1:], T - p["T"], axis=0)]) for p in parts], axis=1
        )

    def join(key: str) -> np.ndarray:  # per-problem results as (B, m)
        return (parts[0][key] if len(parts) == 1 else np.concatenate([p[key] for p in parts])).reshape(B, m)

    status, rounds = join("status"), join("rounds")
    state = _state(arrays, parts, cat("median"), T, flat)
    if not histories:
        final = parts[0]["final"] if len(parts) == 1 else np.concatenate([p["final"] for p in parts])
        if prm.outcome == "median":  # each problem's median at its stop
            at = np.concatenate([p["median"][p["rounds"], np.arange(p["rounds"].size)] for p in parts])
        else:  # the mean of the positions at the stop (row by row, as the round loop computes it)
            at = K.weighted_mean(final, flat["w"], flat["mask"])
        final = np.where(flat["mask"], final, np.nan).reshape(B, m, n).transpose(0, 2, 1)
        return Solution(
            outcomes=at.reshape(B, m),
            trajectory=np.ascontiguousarray(final)[:, None],
            status=status,
            rounds=rounds,
            state=state,
        )
    med, mean = cat("median"), cat("mean")
    trajectory, risk, kind, offers = _assemble(parts, starts, flat, B, m, T - t0, t0)
    med_full = np.ascontiguousarray(med.reshape(T, B, m).transpose(1, 0, 2))
    med_b = med_full[:, t0:]  # the rounds of this run (from the start state on)
    mean_b = np.ascontiguousarray(mean.reshape(T - t0, B, m).transpose(1, 0, 2))
    at = np.maximum(rounds - t0, 0)  # each issue's stop within this run (0: it had stopped before the start)
    b_, k_ = np.arange(B)[:, None], np.arange(m)[None, :]
    outcomes = med_full[b_, rounds, k_] if prm.outcome == "median" else mean_b[b_, at, k_]
    mmin, mmax = join("median_min"), join("median_max")
    period, cycle = join("period"), join("cycle")
    return Solution(
        outcomes=outcomes,
        trajectory=trajectory,
        status=status,
        rounds=rounds,
        tables={
            "offers": _offers_table(arrays, trajectory, offers[0], offers[1], offers[2], offers[3], offers[4], t0),
            "stop": _stop_table(arrays, status, rounds, outcomes, mmin, mmax, cycle, period, mean_b, t0),
        },
        arrays={
            "median": med_b,
            "mean": mean_b,
            "risk": risk,
            "offer_kind": kind,
            "median_range": np.stack([mmin, mmax], axis=1),  # (B, 2, m)
        },
        info=_info(arrays, med_b, mean_b, status, rounds, mmin, mmax, cycle, period, t0),
        state=state,
    )


def _state(
    arrays: ScenarioArrays, parts: list[dict[str, Any]], med: np.ndarray, T: int, flat: dict[str, np.ndarray]
) -> RunState:
    """The run's :class:`RunState` at its stop (problems draw-major, as the round loop holds them)."""
    B, n, m = arrays.position.shape

    def cat(key: str, axis: int = 0) -> np.ndarray:
        got = [p["state"][key] if key in p["state"] else p[key] for p in parts]
        return got[0] if len(got) == 1 else np.concatenate(got, axis=axis)

    cur, active = cat("cur"), cat("active")
    return RunState(
        model="expected-utility",
        actors=arrays.actors,
        issues=arrays.issues,
        round=T - 1,
        positions=np.ascontiguousarray(np.where(flat["mask"], cur, np.nan).reshape(B, m, n).transpose(0, 2, 1)),
        rounds=cat("rounds").reshape(B, m),
        stopped=~active.reshape(B, m),
        internal={
            "median": med,
            "R0": cat("R0"),
            "rounds": cat("rounds"),
            "period": cat("period"),
            "active": active,
            "converged": cat("converged"),
            "still": cat("still"),
            "ring": cat("ring", axis=1),
            "cur": cur,
        },
    )


def _offers_table(
    arrays: ScenarioArrays,
    traj: np.ndarray,
    t: np.ndarray,
    q: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    code: np.ndarray,
    t0: int = 0,
) -> pd.DataFrame:
    """Tidy table of accepted offers: draw, round, issue, actor (who moved), proposer, kind, from, to.

    ``traj`` is the (B, T, n, m) trajectory from round ``t0``; (t, q, i, j, code) the round, problem
    (draw·m + issue), mover, proposer and kind code of every accepted offer.
    """
    import pandas as pd

    m = arrays.n_issues
    b, k = q // m, q % m
    kinds = [K.KIND_NAMES[c] for c in sorted(K.KIND_NAMES)]
    _, T, n, _ = traj.shape
    at = ((b * T + t - t0) * n + i) * m + k  # flat index of traj[b, t - t0, i, k]
    flat_traj = traj.reshape(-1)

    def cat(codes: np.ndarray, names: Any) -> Any:  # categorical for big batches, plain strings otherwise
        if codes.size > 20_000:
            return pd.Categorical.from_codes(codes, categories=pd.Index(list(names), dtype=object))
        return np.asarray(list(names), dtype=object)[codes]

    return pd.DataFrame(
        {
            "draw": b,
            "round": t,
            "issue": cat(k, arrays.issues),
            "actor": cat(i, arrays.actors),
            "proposer": cat(j, arrays.actors),
            "kind": cat(code.astype(int) - 1, kinds),
            "from": np.take(flat_traj, at - n * m),  # traj[b, t - 1, i, k]
            "to": np.take(flat_traj, at),
        },
        copy=False,  # every column is a fresh array
    )


def _stop_table(
    arrays: ScenarioArrays,
    status: np.ndarray,
    rounds: np.ndarray,
    outcomes: np.ndarray,
    mmin: np.ndarray,
    mmax: np.ndarray,
    cycle: np.ndarray,
    period: np.ndarray,
    mean_b: np.ndarray,
    t0: int = 0,
) -> pd.DataFrame:
    import pandas as pd

    B, m = status.shape
    d, k = np.meshgrid(np.arange(B), np.arange(m), indexing="ij")
    at = np.maximum(rounds - t0, 0)  # the stop within mean_b, which starts at round t0
    return pd.DataFrame(
        {
            "draw": d.ravel(),
            "issue": np.asarray(arrays.issues, dtype=object)[k.ravel()],
            "status": status.ravel(),
            "rounds": rounds.ravel(),
            "outcome": outcomes.ravel(),
            "mean": mean_b[d.ravel(), at.ravel(), k.ravel()],
            "median_min": mmin.ravel(),
            "median_max": mmax.ravel(),
            "cycle": cycle.ravel(),
            "period": period.ravel(),
        }
    )


def _info(
    arrays: ScenarioArrays,
    med: np.ndarray,
    mean: np.ndarray,
    status: np.ndarray,
    rounds: np.ndarray,
    mmin: np.ndarray,
    mmax: np.ndarray,
    cycle: np.ndarray,
    period: np.ndarray,
    t0: int = 0,
) -> dict[str, Any]:
    """JSON extras for draw 0: median and mean by round (``med``, ``mean`` from round ``t0``), and the stopping
    report per issue."""
    rows = [
        {"round": t, "issue": iid, "median": float(med[0, t - t0, k]), "mean": float(mean[0, t - t0, k])}
        for k, iid in enumerate(arrays.issues)
        for t in range(t0, max(int(rounds[0, k]), t0) + 1)
    ]
    at = np.maximum(rounds - t0, 0)
    stop = {
        iid: {
            "status": str(status[0, k]),
            "rounds": int(rounds[0, k]),
            "median": float(med[0, at[0, k], k]),
            "mean": float(mean[0, at[0, k], k]),
            "median_min": float(mmin[0, k]),
            "median_max": float(mmax[0, k]),
            "cycle": cycle[0, k],
            "period": int(period[0, k]) or None,
        }
        for k, iid in enumerate(arrays.issues)
    }
    return {"rounds": rows, "stop": stop}


# ---- the perspective (quadrant) view --------------------------------------------------------------------------


def _region(a: float, b: float, capitulation: str = "full_move") -> str:
    """Scholz fig. 6 region of a pair seen by i, with a = E(i challenges j), b = E(j challenges i), and who moves."""
    cap = "capitulation: not played" if capitulation == "no_move" else "capitulation: {} moves"
    if a > 0 and b > 0:
        return "conflict: j moves" if a > b else "conflict: i moves" if b > a else "conflict: tie"
    if a > 0 > b:
        return "compromise: j moves" if abs(a) >= abs(b) else cap.format("j")
    if b > 0 > a:
        return "compromise: i moves" if abs(b) >= abs(a) else cap.format("i")
    if a < 0 and b < 0:
        return "stalemate"
    return "indifferent"


def _index(names: tuple[str, ...], name: str | None, what: str) -> int:
    if name is None:
        return 0
    if name not in names:
        raise UnknownNameError(f"unknown {what} {name!r}; expected one of {', '.join(names)}")
    return names.index(name)


def perspective(
    arrays: ScenarioArrays,
    actor: str,
    issue: str | None = None,
    round: int = 1,
    model: ExpectedUtility | None = None,
    draw: int = 0,
) -> pd.DataFrame:
    """The classic BDM perspective (quadrant) table for ``actor`` on ``issue`` at ``round`` (1 = the first round).

    One row per other actor j present on the issue: ``eu_i_challenges_j`` = E^i(U_ij) (x axis of the chart),
    ``eu_j_challenges_i`` = E(U_ji) as it enters i's decision under the model's ``risk_perspective`` (y axis; i's
    estimate with r_i under 'mover'), ``eu_j_own`` = E^j(U_ji) with j's own r_j, the risk exponents and the region
    of Scholz's fig. 6. Values are those with which round ``round`` is played (positions after round ``round`` − 1).
    """
    import pandas as pd

    model = model if model is not None else ExpectedUtility()
    prm = model.params
    i = _index(arrays.actors, actor, "actor")
    k = _index(arrays.issues, issue, "issue")
    if round < 1:
        raise ParameterError(f"round={round}: expected a round number ≥ 1")
    one = arrays.take(draw).select_issues([k])
    if not bool(one.mask[0, i, 0]):
        raise ParameterError(f"actor {actor!r} takes no part in issue {one.issues[0]!r}")
    if round > 1:
        run = solve_arrays(one, prm.model_copy(update={"max_rounds": round - 1, "stop_on_cycle": False}))
        x = np.nan_to_num(run.trajectory[0, -1, :, 0], nan=float(one.lower[0]))[None]
    else:
        x = one.position[0, :, 0][None]
    flat = _flatten(one)
    mask, w, s = flat["mask"], flat["w"], flat["s"]
    R0 = _initial_range(flat["x"], mask, flat["width"], prm.range)
    if prm.range == "dynamic":
        spread = np.ptp(x[0][mask[0]])
        R0 = np.array([spread]) if spread > 0 else R0
    opts: dict[str, Any] = dict(p_success=prm.p_success, reverse_salience=prm.reverse_salience, Q=prm.Q)
    st = K.round_state(x, w, s, mask, R0, risk_perspective=prm.risk_perspective, **opts)
    own = K.round_state(x, w, s, mask, R0, risk_perspective="own", **opts)
    others = [j for j in range(one.n_actors) if j != i and mask[0, j]]
    a = st.a[0, i, others]
    b = st.b[0, i, others]
    return pd.DataFrame(
        {
            "actor": one.actors[i],
            "other": [one.actors[j] for j in others],
            "position": x[0, others],
            "eu_i_challenges_j": a,
            "eu_j_challenges_i": b,
            "eu_j_own": own.b[0, i, others],
            "r_i": st.r[0, i],
            "r_j": st.r[0, others],
            "region": [
                _region(float(u), float(v), prm.capitulation)
                for u, v in zip(np.where(np.abs(a) <= prm.zero, 0, a), np.where(np.abs(b) <= prm.zero, 0, b))
            ],
        }
    ).assign(issue=one.issues[0], round=round)
