"""Stokman's exchange model of voting positions (equal gain), with the randomised REX variant.

Sources:

- F. N. Stokman & R. Van Oosten (1994), "The exchange of voting positions: an object-oriented model of policy
  networks", in B. Bueno de Mesquita & F. N. Stokman (eds.), *European Community Decision Making*, Yale UP, 105–127.
- F. N. Stokman, M. A. L. M. Van Assen, J. Van der Knoop & R. C. H. Van Oosten (2000), "Strategic decision making",
  *Advances in Group Processes* 17, 131–153.
- J. Dijkstra, M. A. L. M. Van Assen, F. N. Stokman & T. Draaijer (2018) for REX, the randomised equal-gain rate.
- ``docs/exchange.md``, which describes the behaviour of the reference implementation
  ``decide-exchange-model`` 2025.3.1 (implemented here from that text; none of its GPL-3.0 code is used).

Notation (all internal positions on 0–100, ``x = 100 (ξ − L) / (U − L)``): actors a, issues d, preference x_ad,
salience s_ad ∈ [0, 1], capability c_ad.

1. Outcome: W_d = Σ_a c_ad s_ad, O_d = Σ_a c_ad s_ad x_ad / W_d; a move Δ of actor a shifts O_d by w_ad Δ with
   w_ad = c_ad s_ad / W_d. (If W_d = 0 — nobody weighs in — O_d is the plain mean of the present actors; decide
   reports 0 there.) Utility is linear loss U_a = −Σ_d s_ad |O_d − x_ad|.
2. Sides at the start of a round: ℓ_ad = [x_ad ≤ O_d]; not updated within the round.
3. Candidates: every actor pair {i, j} and issue pair {p, q} (both actors present on both) with ℓ_ip ≠ ℓ_jp and
   ℓ_iq ≠ ℓ_jq.
4. Roles: i supplies p (moves toward j's position on p) and demands q iff s_ip s_jq < s_jp s_iq, else the reverse.
   Below, actor a supplies issue e to b and b supplies f to a.
5. Gains: a gains s_af δ_f − s_ae δ_e, b gains s_be δ_e − s_bf δ_f, where δ is the outcome shift of a move.
   Equal gain: δ_e = k δ_f with k = (s_af + s_bf) / (s_ae + s_be), and then
   G = δ_f (s_af s_be − s_ae s_bf) / (s_ae + s_be) > 0.
6. Volume: the largest δ_f with neither supplier passing its partner's position
   (δ_f ≤ w_bf |x_af − y_bf|, δ_e ≤ w_ae |x_be − y_ae|, y the supplier's current voting position), and with the
   overshoot cap: if the demander's position z lies strictly between O⁰ and O¹ on a supply issue, the shift is cut
   to |z − O⁰| (O⁰ includes the moves already made this round by other partners for the same demander and issue).
7. Validity: 1e-10 < |m| ≤ 100 for both moves, every move of an actor on an issue within a round goes the same way,
   G > 1e-10. With ``move_budget="decide"`` (preset ``decide_compat``) one more rule, that of decide-exchange-model
   2025.3.1 as found by black-box experiment (docs/exchange.md): each side of a candidate keeps a running *signed*
   sum of its moves — the move computed at the start of the round, plus the recomputed move before the overshoot
   cap each time a realisation moves that supplier on that issue and changes the move — and the side is invalid
   once the sum exceeds 100. Being signed, it stops repeated concessions up the scale and never down it.
8. A round realises candidates greedily by G (ties broken by sorted actor ids, then issue order), re-evaluating
   the candidates that share a supplier-issue or demander-issue with the realised one; supplier movement
   accumulates within the round.
9. Voting outcome O^vote from the final voting positions; preference update for every supplying actor-issue:
   x' = (1 − λ) x + λ y with λ = 0.4 (1 − s) + 0.1 (salience weight 0.4, fixed weight 0.1).
10. REX (Dijkstra et al. 2018), p ∈ [0, 1]: at realisation draw u, v, z ~ U(0, 1); X = a if u < 0.5 else b; if
    v < 0.5 X gets G_X = G + p z (eu_max,X − G), else G_X = G − p z G; eu_max,X is X's gain when the partner is held
    to zero gain on the full-move frontier {δ_f = P} ∪ {δ_e = Q} (P, Q the volume limits of item 6). The exchange
    is realised at the frontier point where X gains G_X; the partner gets the rest. Ranking uses the equal gain G.
11. Externalities of a realised exchange for actor k present on both issues:
    E_k = Σ_{d ∈ {e, f}} s_kd (|O⁰_d − x_kd| − |O¹_d − x_kd|); class "own" for the two exchangers (value = their
    realised gain), "inner" when k's side pattern on the pair equals one of the exchangers', else "outer".

Batches: the draws of a batch run in lock-step (:func:`play_round`: every draw's candidates in one flat set, each
step realising every unfinished draw's top candidate), so a draw's numbers are those it has alone
(tests/test_exchange_batch.py). REX (p > 0) runs its draws one at a time, so that each consumes its random stream
whole, draw after draw.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from detente.errors import ScenarioError
from detente.execution.runner import step as progress_step
from detente.models._exchange_tables import ExchangeLog, build_tables, round_documents
from detente.models.base import Keep, Model, Solution, register
from detente.models.contract import Capabilities, RunState, array, info, table
from detente.scenario.arrays import ScenarioArrays

MOVE_EPS = 1e-10
GAIN_EPS = 1e-10
MAX_MOVE = 100.0
TIE_TOL = 1e-12
_LOCKSTEP_CANDIDATES = 1_000_000  # upper bound (all actor pairs × issue pairs) on a lock-step block's candidates
GAP_EPS = 1e-9  # z within GAP_EPS of O⁰ is not 'strictly between' O⁰ and O¹ (robust to rounding)


class ExchangeParams(BaseModel):
    """Parameters of the exchange model."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max_rounds: int = Field(10, ge=1, le=10_000, description="rounds to run (decide's --iterations, default 10)")
    p: float = Field(0.0, ge=0.0, le=1.0, description="REX randomisation; 0 = plain equal gain")
    tol: float | None = Field(
        None, gt=0.0, description="convergence stop: stop when max |ΔO^vote| between rounds < tol (issue units)"
    )
    salience_weight: float = Field(0.4, ge=0.0, le=1.0, description="λ = salience_weight (1 − s) + fixed_weight")
    fixed_weight: float = Field(0.1, ge=0.0, le=1.0, description="λ = salience_weight (1 − s) + fixed_weight")
    move_budget: Literal["round", "decide"] = Field(
        "round",
        description="'round': an actor's moves on an issue within a round go one way and stay on the scale (the "
        "spec's rule); 'decide': also decide-exchange-model 2025.3.1's signed running sum of each candidate's "
        "recomputed moves ≤ 100 (reproduces that package; not mirror-symmetric)",
    )

    @model_validator(mode="after")
    def _lambda_in_unit(self) -> ExchangeParams:
        if self.salience_weight + self.fixed_weight > 1.0:
            raise ValueError("salience_weight + fixed_weight must be ≤ 1 (the update weight λ must stay in [0, 1])")
        return self


def outcome(x: np.ndarray, cs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """O_d = Σ_a c s x / Σ_a c s (..., n, m) → (..., m); the plain mean of the present actors where the weight sum
    is 0, NaN on an issue where nobody takes part. (A batch (G, n, m) sums each draw's actors in the same order as
    one draw's (n, m), so the numbers are the same.)"""
    W = cs.sum(axis=-2)
    num = (cs * x).sum(axis=-2)
    cnt = mask.sum(axis=-2)
    mean = np.where(cnt > 0, (x * mask).sum(axis=-2) / np.maximum(cnt, 1), np.nan)
    return np.where(W > 0, num / np.where(W > 0, W, 1.0), mean)


def _rate(s_ae: np.ndarray, s_af: np.ndarray, s_be: np.ndarray, s_bf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Item 5: the equal-gain rate k = δ_e / δ_f and the gain per unit δ_f, (s_af s_be − s_ae s_bf) / (s_ae + s_be)
    (NaN rate and zero gain where a salience sum is 0)."""
    den_e = s_ae + s_be
    num_f = s_af + s_bf
    good = (den_e > 0) & (num_f > 0)
    with np.errstate(over="ignore"):  # a rate past the float range (subnormal saliences): no finite exchange
        ratio = num_f / np.where(good, den_e, 1.0)
    good &= np.isfinite(ratio)
    k = np.where(good, ratio, np.nan)
    coef = np.where(good, (s_af * s_be - s_ae * s_bf) / np.where(den_e > 0, den_e, 1.0), 0.0)
    return k, coef


class _Candidates:
    """All candidate exchanges of one round of G draws as one flat ragged set, plus the per-actor-issue round state.

    Candidates are concatenated draw by draw, each draw's actor-pair-major (sorted ids first), then issue-pair-major
    (``draw`` holds the draw); the per-actor-issue state is indexed by a global cell ``draw·n·m + a·m + d`` and the
    round-start outcome by ``draw·m + d`` (``e``/``f`` hold those global issue indices, ``e_loc``/``f_loc`` the
    draw's own). Every quantity is an elementwise expression, so a draw's numbers do not depend on the batch.
    """

    def __init__(self, x: np.ndarray, sal: np.ndarray, cs: np.ndarray, mask: np.ndarray) -> None:
        G, n, m = x.shape
        self.n, self.m = n, m
        W = cs.sum(axis=1)  # (G, m): each draw's actors summed as in a lone draw's C-ordered (n, m) array
        pos = W > 0
        w = np.where(pos[:, None, :], cs / np.where(pos, W, 1.0)[:, None, :], 0.0)
        self.w = w
        o_d = outcome(x, cs, mask)  # (G, m)
        with np.errstate(invalid="ignore"):
            left = x <= o_d[:, None, :]
        self.left = left
        ai, aj = np.triu_indices(n, 1)
        ip, iq = np.triu_indices(m, 1)
        opp = (left[:, ai] != left[:, aj]) & mask[:, ai] & mask[:, aj]  # (G, P_actors, m)
        ok = opp[:, :, ip] & opp[:, :, iq]  # (G, P_actors, P_issues)
        g, ka, kp = np.nonzero(ok)  # draw-major, then actor-pair-major
        i, j, p, q = ai[ka], aj[ka], ip[kp], iq[kp]
        # (gathers from the flat (G·n·m) arrays by cell index: cheaper than indexing three axes)
        off = g * (n * m)
        sal_flat = sal.reshape(-1)
        # roles: i supplies p iff s_ip s_jq < s_jp s_iq
        i_sup_p = np.take(sal_flat, off + i * m + p) * np.take(sal_flat, off + j * m + q) < np.take(
            sal_flat, off + j * m + p
        ) * np.take(sal_flat, off + i * m + q)
        a, b = i, j
        e = np.where(i_sup_p, p, q)
        f = np.where(i_sup_p, q, p)
        self.draw = g
        self.a, self.b = a, b
        self.e_loc, self.f_loc = e, f
        self.e, self.f = g * m + e, g * m + f
        self.p, self.q = p, q
        # flat indices of the per-actor-issue state used by each side
        self.sup_e, self.sup_f = off + a * m + e, off + b * m + f  # supplier state (voting position, direction)
        self.dem_e, self.dem_f = off + b * m + e, off + a * m + f  # demander state (shift of O⁰ by earlier partners)
        s_ae, s_af, s_be, s_bf = (np.take(sal_flat, c) for c in (self.sup_e, self.dem_f, self.dem_e, self.sup_f))
        self.s_ae, self.s_af, self.s_be, self.s_bf = s_ae, s_af, s_be, s_bf
        self.k, self.coef = _rate(s_ae, s_af, s_be, s_bf)
        self.w_ae, self.w_bf = np.take(w, self.sup_e), np.take(w, self.sup_f)
        self.x_be, self.x_af = np.take(x, self.dem_e), np.take(x, self.dem_f)  # targets: the demander's preference
        self.size = int(a.size)
        self.counts = np.bincount(g, minlength=G)
        cells = G * n * m
        self.x = x.reshape(-1)
        self.O = o_d.reshape(-1)
        self.cur = x.reshape(-1).copy()
        self.direction = np.zeros(cells)
        self.shift = np.zeros(cells)
        self.contrib = np.zeros((cells, n))
        self.supplied = np.zeros(cells, bool)
        self._by_sup = _group(np.concatenate([self.sup_e, self.sup_f]), cells, self.size)
        self._by_dem = _group(np.concatenate([self.dem_e, self.dem_f]), cells, self.size)

    def touching(self, sup_cells: np.ndarray, dem_cells: np.ndarray) -> np.ndarray:
        """Candidates whose supplier-issue is in ``sup_cells`` or whose demander-issue is in ``dem_cells``."""
        parts = []
        for (starts, order), cells in ((self._by_sup, sup_cells), (self._by_dem, dem_cells)):
            if cells.size <= 4:  # a lone draw's two cells: slices are cheaper than building the ranges
                parts += [order[starts[c] : starts[c + 1]] for c in cells.tolist()]
            else:
                parts.append(order[_ranges(starts[cells], starts[cells + 1])])
        return np.concatenate(parts)

    def evaluate(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Equal-gain solution (items 5–7 of the module docstring) for the candidates ``idx``."""
        cur, sh = self.cur, self.shift
        cae, cbf = cur[self.sup_e[idx]], cur[self.sup_f[idx]]
        d_e = self.x_be[idx] - cae  # a's remaining distance to b's position on e
        d_f = self.x_af[idx] - cbf  # b's remaining distance to a's position on f
        dir_e, dir_f = np.sign(d_e), np.sign(d_f)
        dist_e, dist_f = np.abs(d_e), np.abs(d_f)
        w_ae, w_bf, k = self.w_ae[idx], self.w_bf[idx], self.k[idx]
        # O⁰: the round-start outcome with the demander's earlier partners at their voting positions and the
        # supplier at its own current voting position
        se, sf = self.sup_e[idx], self.sup_f[idx]
        de, df = self.dem_e[idx], self.dem_f[idx]
        own_e = self.w_ae[idx] * (cae - self.x.flat[se]) - self.contrib[de, self.a[idx]]
        own_f = self.w_bf[idx] * (cbf - self.x.flat[sf]) - self.contrib[df, self.b[idx]]
        O0_e = self.O[self.e[idx]] + sh[de] + own_e
        O0_f = self.O[self.f[idx]] + sh[df] + own_f
        gap_e = (self.x_be[idx] - O0_e) * dir_e  # room between O⁰ and the demander's position, in the move's way
        gap_f = (self.x_af[idx] - O0_f) * dir_f
        P = np.minimum(w_bf * dist_f, np.where(gap_f > GAP_EPS, gap_f, np.inf))  # max outcome shift on f
        Q = np.minimum(w_ae * dist_e, np.where(gap_e > GAP_EPS, gap_e, np.inf))  # max outcome shift on e
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # Q / k past the float range: P binds
            delta_f = np.minimum(P, Q / k)
            delta_e = k * delta_f
            m_bf = dir_f * np.minimum(delta_f / w_bf, dist_f)
            m_ae = dir_e * np.minimum(delta_e / w_ae, dist_e)
        gain = delta_f * self.coef[idx]
        valid = (
            np.isfinite(gain)
            & (gain > GAIN_EPS)
            & _move_ok(m_ae, self.direction[self.sup_e[idx]])
            & _move_ok(m_bf, self.direction[self.sup_f[idx]])
        )
        return {
            "gain": np.where(valid, gain, -np.inf),
            "valid": valid,
            "m_ae": m_ae,
            "m_bf": m_bf,
            "P": P,
            "Q": Q,
            "O0_e": O0_e,
            "O0_f": O0_f,
        }

    def precap_moves(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The moves (m_ae, m_bf) of the volume step alone — before the overshoot cap — for the candidates ``idx``
        in the current state (decide's move budget; the same expressions as :meth:`evaluate`)."""
        d_e = self.x_be[idx] - self.cur[self.sup_e[idx]]
        d_f = self.x_af[idx] - self.cur[self.sup_f[idx]]
        dist_e, dist_f = np.abs(d_e), np.abs(d_f)
        w_ae, w_bf, k = self.w_ae[idx], self.w_bf[idx], self.k[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            pre_f = np.minimum(w_bf * dist_f, w_ae * dist_e / k)
            return np.sign(d_e) * np.minimum(k * pre_f / w_ae, dist_e), np.sign(d_f) * np.minimum(pre_f / w_bf, dist_f)

    def rex(self, c: int, P: float, Q: float, G: float, p: float, uvz: np.ndarray) -> tuple[float, float, float, float]:
        """REX moves (m_ae, m_bf) and realised gains (g_a, g_b) of candidate ``c`` (item 10 of the docstring).

        ``P``, ``Q``: the largest outcome shifts on f and e (full move or overshoot cap); ``G``: the equal gain.
        """
        s_ae, s_af, s_be, s_bf = (float(v[c]) for v in (self.s_ae, self.s_af, self.s_be, self.s_bf))
        # eu_max: a's gain with b held to zero (δ_e = s_bf/s_be δ_f); b's gain with a held to zero (δ_f = s_ae/s_af δ_e)
        df_a = min(P, Q * s_be / s_bf) if s_bf > 0 else P
        eu_a = df_a * (s_af - s_ae * s_bf / s_be)
        de_b = min(Q, P * s_af / s_ae) if s_ae > 0 else Q
        eu_b = de_b * (s_be - s_bf * s_ae / s_af)
        u, v, z = (float(t) for t in uvz)
        x_is_a = u < 0.5
        eu = eu_a if x_is_a else eu_b
        target = G + p * z * (eu - G) if v < 0.5 else G - p * z * G
        if x_is_a:  # a moves fully on e first (δ_e = Q), b's move is sized so that a gains `target`
            delta_f = (target + s_ae * Q) / s_af
            if delta_f <= P:
                delta_e = Q
            else:
                delta_f, delta_e = P, (s_af * P - target) / s_ae
        else:  # b moves fully on f first (δ_f = P)
            delta_e = (target + s_bf * P) / s_be
            if delta_e <= Q:
                delta_f = P
            else:
                delta_f, delta_e = (s_be * Q - target) / s_bf, Q
        delta_f, delta_e = min(max(delta_f, 0.0), P), min(max(delta_e, 0.0), Q)
        d_e = float(self.x_be[c] - self.cur[self.sup_e[c]])
        d_f = float(self.x_af[c] - self.cur[self.sup_f[c]])
        m_ae = float(np.sign(d_e)) * min(delta_e / float(self.w_ae[c]), abs(d_e))
        m_bf = float(np.sign(d_f)) * min(delta_f / float(self.w_bf[c]), abs(d_f))
        g_a = s_af * delta_f - s_ae * delta_e
        g_b = s_be * delta_e - s_bf * delta_f
        return m_ae, m_bf, g_a, g_b

    def realise(self, c: np.ndarray | int, m_ae: np.ndarray | float, m_bf: np.ndarray | float) -> None:
        """Apply the moves of the candidates ``c`` (at most one per draw: their cells are disjoint; or one candidate
        as a scalar): accumulate the supplier positions, fix their directions, record the demanders' updates."""
        for sup, dem, mv, partner in ((self.sup_e[c], self.dem_e[c], m_ae, self.a[c]),
                                      (self.sup_f[c], self.dem_f[c], m_bf, self.b[c])):  # fmt: skip
            y = self.cur[sup] + mv
            self.cur[sup] = y
            self.direction[sup] = np.sign(mv)
            self.supplied[sup] = True
            new = self.w.reshape(-1)[sup] * (y - self.x[sup])
            self.shift[dem] += new - self.contrib[dem, partner]
            self.contrib[dem, partner] = new


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(lo[k], hi[k])`` over k."""
    n = hi - lo
    total = int(n.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp)
    ends = np.cumsum(n)
    return np.arange(total) - np.repeat(ends - n - lo, n)


class _MoveBudget:
    """decide-exchange-model's running signed sum of each candidate side's moves (``move_budget="decide"``).

    Found by black-box experiment on the package (docs/exchange.md; none of its code was read): the sum starts at the
    move computed at the start of the round; when a realisation moves the side's supplier on its supply issue and
    the recomputed move differs from the previous one, the recomputed move *before the overshoot cap* (the volume
    step alone) is added; the side is invalid once its sum exceeds 100 (internal 0–100 units). The sum is signed, so
    only moves up the scale are limited.
    """

    CHANGE = 1e-10  # a recomputed move within this of the previous one counts as unchanged

    def __init__(self, m_ae: np.ndarray, m_bf: np.ndarray) -> None:
        self.sums = {
            "m_ae": np.nan_to_num(m_ae, nan=0.0, posinf=0.0, neginf=0.0),
            "m_bf": np.nan_to_num(m_bf, nan=0.0, posinf=0.0, neginf=0.0),
        }

    def charge(
        self,
        cand: _Candidates,
        idx: np.ndarray,
        moved: tuple[int, int] | np.ndarray,
        old: dict[str, np.ndarray],
        new: dict,
    ) -> np.ndarray:
        """Add the recomputed moves of the sides whose supplier just moved; True where a sum now exceeds 100.

        ``moved``: the realised exchange's two supplier cells; ``old``/``new``: moves before (all candidates) and
        after (the candidates ``idx``) the re-evaluation.
        """
        pre_ae, pre_bf = cand.precap_moves(idx)
        for key, pre, sup in (("m_ae", pre_ae, cand.sup_e), ("m_bf", pre_bf, cand.sup_f)):
            with np.errstate(invalid="ignore"):
                changed = ~(np.abs(new[key] - old[key][idx]) <= self.CHANGE)
                hit = np.isin(sup[idx], moved) & np.isfinite(pre) & changed
            self.sums[key][idx[hit]] += pre[hit]
        return (self.sums["m_ae"][idx] > MAX_MOVE + MOVE_EPS) | (self.sums["m_bf"][idx] > MAX_MOVE + MOVE_EPS)


def _move_ok(mv: np.ndarray, direction: np.ndarray) -> np.ndarray:
    amv = np.abs(mv)
    return np.isfinite(mv) & (amv > MOVE_EPS) & (amv <= MAX_MOVE) & ((direction == 0) | (direction == np.sign(mv)))


def _group(cells: np.ndarray, n_cells: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR grouping: candidate ids (mod ``size``) per cell, as (starts, ordered ids)."""
    order = np.argsort(cells, kind="stable")
    counts = np.bincount(cells, minlength=n_cells)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return starts, order % max(size, 1)


_FIRST = np.zeros(1, np.intp)  # a lone draw's first hit (read only)
_LOG_FIELDS = ("G", "g_a", "g_b", "m_ae", "m_bf", "start_e", "start_f", "O0_e", "O0_f", "O1_e", "O1_f", "t_e", "t_f")


def play_round(
    x: np.ndarray,
    sal: np.ndarray,
    cap: np.ndarray,
    mask: np.ndarray,
    *,
    p: float = 0.0,
    rng: np.random.Generator | None = None,
    move_budget: str = "round",
    record: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]]:
    """One round of G draws at once, on internal preferences ``x`` (G, n, m).

    Every step realises each unfinished draw's top candidate (ties, |ΔG| ≤ TIE_TOL relative, go to the lowest
    actor pair, then issue pair, in sorted-id order), then re-evaluates the touched candidates of all draws in one
    :meth:`_Candidates.evaluate` call. REX (``p`` > 0) draws three uniforms from ``rng`` per realised exchange, step
    by step in draw order: a lone draw (G = 1) consumes its round's stream exchange after exchange. Returns the
    voting positions and supplied masks (G, n, m), the candidates per draw (G,) and per draw its realised exchanges
    (the column arrays of :data:`_LOG_FIELDS` and a, b, e, f, tied) and their :func:`externalities` (an empty list
    with ``record=False``).
    """
    G, n, m = x.shape
    cs = cap * sal * mask
    cand = _Candidates(x, sal, cs, mask)
    counts = cand.counts
    steps: list[tuple[np.ndarray, ...]] = []  # per step: the realised candidates and their step-dependent values
    gains: list[tuple[np.ndarray, np.ndarray]] = []  # per step (REX): the realised gains
    if cand.size:
        ev = cand.evaluate(np.arange(cand.size))
        gain = ev.pop("gain")
        ev.pop("valid")
        budget = _MoveBudget(ev["m_ae"], ev["m_bf"]) if move_budget == "decide" else None
        has = np.flatnonzero(counts > 0)
        starts = np.concatenate([[0], np.cumsum(counts)])[has]
        while True:
            if has.size == 1:  # one draw with candidates (a lone draw): the same choice without per-draw reductions
                best = gain.max()
                if not np.isfinite(best):
                    break
                hit = (gain >= best - TIE_TOL * max(1.0, abs(best))).nonzero()[0]
                first = _FIRST
            else:
                top = np.maximum.reduceat(gain, starts)
                live = np.isfinite(top)
                if not live.any():
                    break
                thr = np.where(live, top - TIE_TOL * np.maximum(1.0, np.abs(top)), np.inf)
                hit = np.flatnonzero(gain >= np.repeat(thr, counts[has]))
                dr = cand.draw[hit]
                first = np.flatnonzero(np.concatenate([[True], dr[1:] != dr[:-1]]))
            c = hit[first]  # first candidate within the tie band, per draw
            m_ae, m_bf = ev["m_ae"][c], ev["m_bf"][c]
            if p > 0.0:  # REX: the realised moves and gains of each draw's exchange, drawn in draw order
                assert rng is not None
                rex = [cand.rex(k, float(ev["P"][k]), float(ev["Q"][k]), float(gain[k]), p, rng.random(3)) for k in c]
                m_ae, m_bf, g_a, g_b = np.array(rex, dtype=float).T
                if record:
                    gains.append((g_a, g_b))
            if record:  # what changes from step to step; the rest is gathered once, after the round
                tied = np.empty(first.size, np.intp)  # other candidates in each draw's tie band
                tied[:-1] = first[1:]
                tied[-1] = hit.size
                tied -= first + 1
                steps.append(
                    (c, gain[c], m_ae, m_bf, cand.cur[cand.sup_e[c]], cand.cur[cand.sup_f[c]], ev["O0_e"][c], ev["O0_f"][c], tied)
                )  # fmt: skip
            # (a lone draw's exchange by scalar indexing, cheaper than fancy indexing of one element; same numbers)
            cand.realise(*((int(c[0]), float(m_ae[0]), float(m_bf[0])) if c.size == 1 else (c, m_ae, m_bf)))
            gain[c] = -np.inf
            moved = np.concatenate([cand.sup_e[c], cand.sup_f[c]])
            flag = np.zeros(cand.size, bool)
            flag[cand.touching(moved, np.concatenate([cand.dem_e[c], cand.dem_f[c]]))] = True
            idx = flag.nonzero()[0]  # sorted and unique
            idx = idx[np.isfinite(gain[idx])]  # dropped candidates stay dropped
            if idx.size:
                new = cand.evaluate(idx)
                if budget is not None:  # each candidate's running sums are charged once per realisation
                    over = budget.charge(cand, idx, moved, ev, new)
                    new["gain"] = np.where(over, -np.inf, new["gain"])
                gain[idx] = new["gain"]
                for k, arr in ev.items():
                    arr[idx] = new[k]
    shape = (G, n, m)
    if not record:
        return cand.cur.reshape(shape), cand.supplied.reshape(shape), counts, []
    # each draw's exchanges in realisation order, and their externalities
    if steps:
        c, top, m_ae, m_bf, start_e, start_f, O0_e, O0_f, tied = (np.concatenate(z) for z in zip(*steps))
        if p > 0.0:
            g_a, g_b = (np.concatenate(z) for z in zip(*gains))
        else:  # the equal gains as realised
            dlt_e, dlt_f = cand.w_ae[c] * np.abs(m_ae), cand.w_bf[c] * np.abs(m_bf)
            g_a = cand.s_af[c] * dlt_f - cand.s_ae[c] * dlt_e
            g_b = cand.s_be[c] * dlt_e - cand.s_bf[c] * dlt_f
        allrec = {
            "draw": cand.draw[c], "a": cand.a[c], "b": cand.b[c], "e": cand.e_loc[c], "f": cand.f_loc[c],
            "G": top, "g_a": g_a, "g_b": g_b, "m_ae": m_ae, "m_bf": m_bf, "start_e": start_e, "start_f": start_f,
            "O0_e": O0_e, "O0_f": O0_f, "O1_e": O0_e + cand.w_ae[c] * m_ae, "O1_f": O0_f + cand.w_bf[c] * m_bf,
            "t_e": cand.x_be[c], "t_f": cand.x_af[c], "tied": tied,
        }  # fmt: skip
        if G > 1:  # draw by draw (one draw's exchanges are in realisation order already)
            order = np.argsort(allrec["draw"], kind="stable")
            allrec = {k: v[order] for k, v in allrec.items()}
    else:
        allrec = {"draw": np.zeros(0, dtype=int)}
        allrec.update({k: np.zeros(0, dtype=int) for k in ("a", "b", "e", "f", "tied")})
        allrec.update({k: np.zeros(0) for k in _LOG_FIELDS})
    ex_all = {k: allrec[k].astype(int, copy=False) for k in ("a", "b", "e", "f", "tied")}
    ex_all.update({k: allrec[k].astype(float, copy=False) for k in _LOG_FIELDS})
    ext_all = externalities(x, sal, mask, cand.left, ex_all, allrec["draw"])
    if G == 1:
        return cand.cur.reshape(shape), cand.supplied.reshape(shape), counts, [(ex_all, ext_all)]
    bounds = np.searchsorted(allrec["draw"], np.arange(G + 1)).tolist()
    per_draw = []
    for g in range(G):
        lo, hi = bounds[g], bounds[g + 1]
        per_draw.append(({k: v[lo:hi] for k, v in ex_all.items()}, {k: v[lo:hi] for k, v in ext_all.items()}))
    return cand.cur.reshape(shape), cand.supplied.reshape(shape), counts, per_draw


def _resume(
    start: RunState, x_all: np.ndarray, arrays: ScenarioArrays, order: np.ndarray, lower: np.ndarray, span: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """A continued run's (internal preferences (B, n, m) in sorted-id order, draws already stopped, the last voting
    outcome, whether there is one). The exact internal preferences of the stopped run are used wherever the
    positions are still the ones it stopped at (``x_all``, converted from the scale, elsewhere: after an edit)."""
    st = start.internal
    B = x_all.shape[0]
    if tuple(arrays.actors[k] for k in order) == st["actors_sorted"]:
        x_prev = st["x"]
        unchanged = (x_prev * span + lower == np.asarray(arrays.position)[:, order]) | ~np.asarray(arrays.mask)[
            :, order
        ]
        x_all = np.ascontiguousarray(np.where(unchanged, x_prev, x_all))
    if start.restarted:  # the outcome until a round is played: that of the (edited) preferences
        cs = np.where(arrays.mask, arrays.capability * arrays.salience, 0.0)[:, order]
        return x_all, np.zeros(B, bool), outcome(x_all, cs, np.asarray(arrays.mask)[:, order]), False
    return x_all, np.asarray(start.stopped.all(axis=1), bool), st["vote"], bool(st["has_vote"])


def tie_note(ties: list[dict[str, int]]) -> str:
    """The note of a ``decide_compat`` run: how ties are broken here and in decide-exchange-model, and the first."""
    first = f"round {ties[0]['round']}, exchange {ties[0]['order']}" if ties else "none in this run"
    return (
        "decide_compat: candidates with equal gains are realised in sorted actor-id order, then issue order; "
        "decide-exchange-model picks among them at random, so its runs agree with this one only up to the first "
        f"tie ({first})"
    )


def preference_update(
    x: np.ndarray, y: np.ndarray, supplied: np.ndarray, sal: np.ndarray, sw: float, fw: float
) -> np.ndarray:
    """x' = (1 − λ) x + λ y for supplying actor-issues, λ = sw (1 − s) + fw; others keep their preference."""
    lam = sw * (1.0 - sal) + fw
    return np.where(supplied, (1.0 - lam) * x + lam * y, x)


def externalities(
    x: np.ndarray,
    sal: np.ndarray,
    mask: np.ndarray,
    left: np.ndarray,
    ex: dict[str, np.ndarray],
    draw: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Item 11: externality of every realised exchange (rows) for every actor (columns), and its class.

    ``ex`` holds per exchange: issues e, f, actors a, b, O⁰/O¹ on e and f, realised gains g_a, g_b.
    Returns value (X, n) (NaN where the actor is absent from either issue) and class codes (X, n):
    0 own, 1 inner, 2 outer. For a batch, ``x``, ``sal``, ``mask``, ``left`` are (G, n, m) and ``draw`` (X,) holds
    each exchange's draw.
    """
    e, f = ex["e"], ex["f"]
    if draw is None:
        x, sal, mask, left = x[None], sal[None], mask[None], left[None]
        draw = np.zeros(e.size, dtype=int)
    g = draw
    xe, xf = x[g, :, e], x[g, :, f]  # (X, n)
    se, sf = sal[g, :, e], sal[g, :, f]
    val = se * (np.abs(ex["O0_e"][:, None] - xe) - np.abs(ex["O1_e"][:, None] - xe))
    val = val + sf * (np.abs(ex["O0_f"][:, None] - xf) - np.abs(ex["O1_f"][:, None] - xf))
    present = mask[g, :, e] & mask[g, :, f]
    rows = np.arange(e.size)
    a, b = ex["a"], ex["b"]
    pat_e, pat_f = left[g, :, e], left[g, :, f]
    inner = ((pat_e == left[g, a, e][:, None]) & (pat_f == left[g, a, f][:, None])) | (
        (pat_e == left[g, b, e][:, None]) & (pat_f == left[g, b, f][:, None])
    )
    cls = np.where(inner, 1, 2)
    cls[rows, a], cls[rows, b] = 0, 0
    val[rows, a], val[rows, b] = ex["g_a"], ex["g_b"]
    return {"value": np.where(present, val, np.nan), "class": cls, "present": present}


#: An exchange trades a concession on one issue for one on another: with a single issue there is nothing to trade,
#: and the forecast is the round-1 voting outcome (the capability x salience weighted mean).
ONE_ISSUE_NOTE = (
    "one issue: no exchange is possible (an exchange trades a concession on one issue for one on another), "
    "so the forecast is the voting outcome before any exchange"
)


@register
class ExchangeModel(Model[ExchangeParams]):
    """Stokman's exchange model: equal-gain vote trading across issue pairs; REX with p > 0 (Stokman & Van Oosten
    1994; Dijkstra et al. 2018)."""

    name = "exchange"
    capabilities = Capabilities(round_based=True, couples_issues=True, stochastic=True)
    summary = "Stokman's exchange model: equal-gain exchanges of voting positions across issue pairs (REX with p>0)"
    Params = ExchangeParams
    presets = {"default": {}, "decide_compat": {"move_budget": "decide"}}
    default_preset = "default"
    outputs = (
        table(
            "exchanges",
            "draw, round, order, actor_1, supply_1, demand_1, from_1, move_1, to_1, toward_1, gain_1, actor_2, "
            "supply_2, demand_2, from_2, move_2, to_2, toward_2, gain_2, gain",
            "every realised exchange in order: each side's supplied and demanded issue, move and gain",
        ),
        table(
            "externalities",
            "draw, round, order, actor, issue_1, issue_2, class, value",
            "each realised exchange's effect on every actor present on both issues (class own, inner or outer)",
        ),
        table(
            "externalities_by_actor",
            "draw, round, actor, own_positive, own_negative, inner_positive, inner_negative, outer_positive, outer_negative, total",
            "externalities summed per round and actor, by class and sign",
        ),
        table(
            "externalities_by_pair",
            "draw, round, issue_1, issue_2, own_positive, own_negative, inner_positive, inner_negative, outer_positive, outer_negative, total",
            "externalities summed per round and issue pair, by class and sign",
        ),
        table(
            "externalities_by_exchange",
            "draw, round, order, own_positive, own_negative, inner_positive, inner_negative, outer_positive, outer_negative, total",
            "externalities summed per exchange, by class and sign",
        ),
        array("voting_outcome", "(B, R, m)", "the voting outcome O^vote after each round's exchanges"),
        array("preference_outcome", "(B, R+1, m)", "the outcome of the preferences at the start and after each round"),
        array("round1_outcome", "(B, m)", "the voting outcome of the first round"),
        array("voting_positions", "(B, R, n, m)", "the actors' voting positions after each round's exchanges"),
        info("exchange_rounds", "list of round documents", "draw 0's exchanges round by round (the JSON 'rounds')"),
        info("candidates_per_round", "list[int]", "draw 0's candidate exchanges per round"),
        info("exchanges_per_round", "list[int]", "draw 0's realised exchanges per round"),
        info("round1_outcome", "dict issue → float", "draw 0's voting outcome of the first round"),
        info("initial_outcome", "dict issue → float", "draw 0's outcome of the initial preferences"),
        info("ties", "list of {round, order, tied_with}", "draw 0's realised exchanges that had equal-gain rivals"),
    )

    def uses_randomness(self) -> bool:
        """REX (p > 0) draws; plain equal gain (p = 0) is deterministic."""
        return self.params.p > 0.0

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        return self._run(arrays, rng, histories=True)

    def _solve_rounds(
        self,
        arrays: ScenarioArrays,
        rng: np.random.Generator,
        keep: Keep,
        stop_after: int | None,
        start: RunState | None,
    ) -> Solution:
        """``keep="final"`` skips the exchange log and its tables (trajectory: the preferences after the last round).
        A continued REX run (p > 0) of several draws gives the numbers of one run only with its generator as one run
        leaves it: REX runs its draws one at a time, draw 0's rounds, then draw 1's."""
        return self._run(arrays, rng, histories=keep == "full", stop_after=stop_after, start=start)

    def _run(
        self,
        arrays: ScenarioArrays,
        rng: np.random.Generator,
        *,
        histories: bool,
        stop_after: int | None = None,
        start: RunState | None = None,
    ) -> Solution:
        prm = self.params
        lower, upper = np.asarray(arrays.lower, float), np.asarray(arrays.upper, float)
        if np.any(~(upper > lower)):
            bad = int(np.argmax(~(upper > lower)))
            raise ScenarioError(
                f"exchange: issue {arrays.issues[bad]!r} has scale [{lower[bad]}, {upper[bad]}]; expected lower < upper",
                file=arrays.name,
            )
        sal_all = np.asarray(arrays.salience, float)
        if np.any((sal_all < 0) | (sal_all > 1)) or np.any(np.asarray(arrays.capability) < 0):
            raise ScenarioError("exchange: salience must lie in [0, 1] and capability must be ≥ 0", file=arrays.name)
        span = (upper - lower) / 100.0
        outside = arrays.mask & (
            (arrays.position < lower - 1e-9 * span * 100) | (arrays.position > upper + 1e-9 * span * 100)
        )
        if outside.any():
            b_, a_, i_ = (int(v[0]) for v in np.nonzero(outside))
            raise ScenarioError(
                f"exchange: actor {arrays.actors[a_]!r} on issue {arrays.issues[i_]!r}: position "
                f"{arrays.position[b_, a_, i_]} lies outside the scale [{lower[i_]}, {upper[i_]}]",
                file=arrays.name,
            )
        # work in sorted-id actor order so that tie-breaking does not depend on the input order
        order = np.array(sorted(range(arrays.n_actors), key=lambda k: arrays.actors[k]), dtype=int)
        inv = np.argsort(order)
        B, n, m = arrays.position.shape
        r0 = 0 if start is None else start.round  # rounds run before this call (a continued run)
        last = prm.max_rounds if stop_after is None else min(prm.max_rounds, stop_after)
        R = max(last - r0, 0)  # rounds this call may run
        traj = np.empty((B, R + 1, n, m))
        voting = np.full((B, R, n, m), np.nan)
        o_pref = np.full((B, R + 1, m), np.nan)
        o_vote = np.full((B, R, m), np.nan)
        status = np.empty((B, m), dtype=object)
        rounds = np.zeros((B, m), dtype=int)
        actors_sorted = tuple(arrays.actors[k] for k in order)
        sw, fw = prm.salience_weight, prm.fixed_weight
        # C-ordered (B, n, m) throughout, so that each draw's (n, m) slice has the layout of the per-draw arrays
        # and sums over actors run in the same order (numpy's reduction order follows the memory layout)
        sort = lambda a: np.ascontiguousarray(np.asarray(a)[:, order])  # noqa: E731
        mask_all = sort(np.asarray(arrays.mask, bool))
        x_all = np.clip(np.where(mask_all, (sort(arrays.position) - lower) / span, 0.0), 0.0, 100.0)
        sal_s = np.where(mask_all, sort(sal_all), 0.0)
        cap_s = np.where(mask_all, sort(np.asarray(arrays.capability, float)), 0.0)
        cs_all = cap_s * sal_s
        logs = [ExchangeLog(actors_sorted, arrays.issues, span) for _ in range(B)]
        candidates: list[list[int]] = [[] for _ in range(B)]
        done = np.full(B, R)  # rounds run per draw (in this call)
        converged = np.zeros(B, bool)  # stopped by convergence (possibly in the last round)
        # the voting outcome before this call's first round (that of the preferences at the start; the tol rule
        # compares with it only in a continued run)
        prev_vote = outcome(x_all, cs_all, mask_all)
        has_prev = False
        if start is not None:
            x_all, converged, prev_vote, has_prev = _resume(start, x_all, arrays, order, lower, span)
            done[converged] = 0
        traj[:, 0] = x_all[:, inv]

        # blocks of draws in lock-step, at most about _LOCKSTEP_CANDIDATES candidates each (memory); REX (p > 0)
        # draws its random numbers exchange by exchange, so its draws run one at a time, draw after draw
        block = max(1, _LOCKSTEP_CANDIDATES // max(1, (n * (n - 1) // 2) * (m * (m - 1) // 2)))
        if prm.p > 0.0:
            block = 1
        o_pref[:, 0] = outcome(x_all, cs_all, mask_all)
        for first in range(0, B, block):
            active = np.arange(first, min(B, first + block))
            active = active[~converged[active]]
            for r in range(R):
                if active.size == 0:
                    break
                progress_step(first + (min(B, first + block) - first) * r / R, B)
                x, sal, mask, cs = x_all[active], sal_s[active], mask_all[active], cs_all[active]
                y, supplied, n_cand, per_draw = play_round(
                    x, sal, cap_s[active], mask, p=prm.p, rng=rng, move_budget=prm.move_budget, record=histories
                )
                if histories:
                    for bidx, nc, (ex, ext) in zip(active.tolist(), n_cand.tolist(), per_draw, strict=True):
                        logs[bidx].add_round(r0 + r + 1, ex, ext)
                        candidates[bidx].append(nc)
                voting[active, r] = y[:, inv]
                o_vote[active, r] = outcome(y, cs, mask)
                x = preference_update(x, y, supplied, sal, sw, fw)
                x_all[active] = x
                traj[active, r + 1] = x[:, inv]
                o_pref[active, r + 1] = outcome(x, cs, mask)
                stop = ~supplied.any(axis=(1, 2))
                if prm.tol is not None and (r > 0 or has_prev):
                    before = o_vote[active, r - 1] if r > 0 else prev_vote[active]
                    change = np.abs(o_vote[active, r] - before) * span
                    stop |= np.nanmax(change, axis=1, initial=0.0) < prm.tol
                done[active[stop]], converged[active[stop]] = r + 1, True
                active = active[~stop]
        for bidx in range(B):
            d = int(done[bidx])
            if d < R:  # a stop: later rounds repeat the last state
                traj[bidx, d + 1 :] = traj[bidx, d]
                if d > 0:
                    voting[bidx, d:] = voting[bidx, d - 1]
                    o_vote[bidx, d:] = o_vote[bidx, d - 1]
                o_pref[bidx, d + 1 :] = o_pref[bidx, d]
            status[bidx] = "converged" if converged[bidx] else "max_rounds"
            rounds[bidx] = d
        R = int(rounds.max())  # rounds run by the longest draw; shorter draws repeat their last state
        traj, voting, o_vote, o_pref = traj[:, : R + 1], voting[:, :R], o_vote[:, :R], o_pref[:, : R + 1]
        if start is not None:  # rounds count from the beginning of the run; a draw stopped before keeps its count
            rounds = np.where(start.stopped, start.rounds, rounds + r0)
        to_scale = lambda a: a * span + lower  # noqa: E731
        traj_s = to_scale(traj)
        traj_s = np.where(arrays.mask[:, None], traj_s, np.nan)  # no position where the actor holds no stance
        vote_o, pref_o = to_scale(o_vote), to_scale(o_pref)
        # each draw's last voting outcome (internal units): this call's last round, or the one it started after
        last_vote = np.where((done > 0)[:, None], o_vote[:, -1], prev_vote) if R > 0 else prev_vote
        state = RunState(
            model=self.name,
            actors=arrays.actors,
            issues=arrays.issues,
            round=r0 + R,
            positions=traj_s[:, -1].copy(),
            rounds=rounds.copy(),
            stopped=np.broadcast_to(converged[:, None], (B, m)).copy(),
            internal={
                "x": x_all.copy(),
                "actors_sorted": actors_sorted,
                "vote": last_vote,
                "has_vote": bool(has_prev or R > 0),
                **({"rng": rng.bit_generator.state} if self.uses_randomness() else {}),
            },
        )
        # outcome: the last voting outcome (a continued run whose draws had all stopped: the one it started from)
        final_vote = to_scale(last_vote)
        if not histories:
            return Solution(outcomes=final_vote, trajectory=traj_s[:, -1:], status=status, rounds=rounds, state=state)
        # the first round of this call (a draw that had stopped before it: its last outcome)
        first_vote = np.where((done > 0)[:, None], vote_o[:, 0], final_vote) if R > 0 else final_vote
        tables = build_tables(logs, lower)
        info: dict[str, Any] = {
            "exchange_rounds": round_documents(logs[0], candidates[0], lower),
            "candidates_per_round": candidates[0],
            "exchanges_per_round": [int(rd["a"].size) for rd in logs[0].rounds],
            "round1_outcome": {iid: float(first_vote[0, j]) for j, iid in enumerate(arrays.issues)},
            "initial_outcome": {iid: float(pref_o[0, 0, j]) for j, iid in enumerate(arrays.issues)},
            "ties": logs[0].ties(),
        }
        notes = []
        if arrays.n_issues < 2:
            notes.append(ONE_ISSUE_NOTE)
        if prm.move_budget == "decide":
            notes.append(tie_note(info["ties"]))
        if notes:
            info["notes"] = notes
        return Solution(
            outcomes=final_vote,
            trajectory=traj_s,
            status=status,
            rounds=rounds,
            tables=tables,
            arrays={
                "voting_outcome": vote_o,
                "preference_outcome": pref_o,
                "round1_outcome": first_vote.copy(),
                "voting_positions": np.where(arrays.mask[:, None], to_scale(voting), np.nan),
            },
            info=info,
            state=state,
        )
