"""KTAB's spatial model of politics (SMP): probabilistic Condorcet elections in a multi-dimensional issue space.

Source: KAPSARC Toolkit for Behavioral Analysis (KTAB, MIT licence, © 2015 KAPSARC), ``examples/smp``; B. Wise,
S. Lester & B. Efird, "An introduction to the KAPSARC Toolkit for Behavioral Analysis (KTAB) using one-dimensional
spatial models" (KAPSARC discussion paper KS-1517-DP025A, 2015) and the multi-dimensional SMP documentation.
Implemented from Wise et al. 2015 and KTAB's documentation, with the equations as KTAB implements them (docs/spatial.md).

Every turn, on the same state, each actor i

1. infers risk attitudes from a risk-neutral PCE over all positions (the most favoured actor is the most risk
   averse) and forms utilities U(d, R) = (1 − d)(1 + dR) of salience-weighted distances;
2. evaluates a challenge against every other actor j from its own perspective — principals vote with weight
   capability × total salience, third parties join the side they expect to gain from — and picks the target with the
   largest expected gain (above 1e-5);
3. proposes a bargain: both sides are offered a compromise interpolated by salience² × probability² (``S2P2``),
   rounded to 1e-4 on the [0, 1] scale;

then every actor resolves its own queue (status quo + its proposal + proposals aimed at it) by a PCE among all
actors and moves to its side of the chosen bargain (deterministic: the most probable; stochastic: one seeded draw).
It stops when the change of positions falls under 2 % of the first turn's (after ≥ 2 turns) or after 100 turns.

**Salience mapping.** KTAB's saliences are *shares of attention*: per actor, Σ_k s_ik ≤ 1 (≤ 100 in its files);
the total S_i = Σ_k s_ik weighs i in challenges (capability × S_i). detente's saliences are per issue, each 0–100
(``ScenarioArrays.salience`` σ_ik in [0, 1]). detente → KTAB: s_ik = σ_ik / max(1, Σ_k σ_ik) (``share_capped``:
unchanged when the per-actor sum is at most 100, so a KTAB file imported into detente and run in ``ktab_compat``
gives KTAB's numbers; scaled to a total of 1 otherwise) or s_ik = σ_ik / Σ_k σ_ik (``share_normalized``: every
actor gives full attention, S_i = 1). KTAB → detente: σ_ik = s_ik (×100 in files; each share is a valid per-issue
salience). Issues where an actor has no stance get salience 0.

**Capability.** KTAB has one capability per actor; with per-issue capabilities the actor's salience-weighted mean
over its issues is used.

**Scales.** Positions are mapped to [0, 1] per issue with the issue's ``lower``/``upper`` bounds (KTAB: x/100) and
back. The issues' status quo is not used (the SMP has none).

**Modes** (presets): ``ktab_compat`` keeps KTAB's quirks §4.12.1–2 — one third-party probability π serves both
hypothetical alignments (so third parties are inert under NoCommit/FullCommit and an actor sitting on i's position
leans to j), the receiver's "probability" in ``InitRcvrInterp`` is its expected gain, and ``PWCompInterp`` weighs
both sides with the initiator's capability. ``corrected`` (the default) computes a separate probability for each
alignment — π_i = (A + |σ|)/(A + |σ| + B) when n joins i, π_j = A/(A + B + |σ|) when it joins j, σ its sincere vote —
and uses the receiver's victory probability and capability. Everything else is identical: sums in index order,
KTAB's guard constants and the 1e-4 rounding of S2P2 bargains.

Outputs: ``trajectory`` (B, T+1, n, m) positions per turn on each issue's scale (padded with the final state),
``arrays['win_prob']`` (B, T+1, n) probability of each actor's position class per turn, ``arrays['stop_ratio']``
(B, T+1), ``arrays['risk']`` (B, T+1, n); ``tables['moves']``: for every turn and actor the bargain it took and its
partner ("why did this actor move"); ``tables['proposals']``: every challenge made. The outcome per issue is the
PCE-probability-weighted mean of the final positions (distinct positions, own-view utilities, capabilities).

Equivalence classes of the reported probabilities (positions closer than 1e-3): ``ktab_compat`` forms them as KTAB
does (first-come representatives; an actor near two representatives reports the later one), which depends on the
order of the actors; ``corrected`` uses connected components represented by their most capable member, which does
not. The dynamics do not use these classes.

**Verified and not.** The KTAB defaults (and ``NoCommit``, and the stochastic path with ``MarkovIncentive``/``PropCbc``
and an accommodation matrix in distribution only) are checked against KTAB's outputs. The other options follow the
formulas of Wise et al. 2015 but have no KTAB reference output; where those leave details open detente reads them so:
``InitRcvrInterp`` puts the initiator's interpolation in the initiator's queue and the receiver's (from the
receiver's perspective) in the receiver's; ``PWCompInterp`` offers one bargain, the (c·S)-weighted compromise of the
two (KTAB's log shows these weights); ``S2PMax`` and ``S1P1`` use the formulas of §4.7. Where KTAB aborts because
all actors' positions are equally likely (e.g. one common position), detente sets every risk attitude to 0.
An actor with salience 0 on *every* issue has no utility to vote or bargain with (KTAB divides by its total
salience): it is left out of the coalition arithmetic — no challenges, bargains or votes, never a winning position —
and keeps its position; the forecast says so under ``zero_salience_actors``.

**Absence.** KTAB gives every actor a point in the whole space; detente lets an actor hold no stance on an issue.
Such an actor has no coordinate on that dimension: (1) its salience there is 0, so its own utility ignores the
dimension; (2) the others judge its position by the stances it holds — the distance from i's ideal to j's position
is the distance to the nearest point that agrees with every stance j holds (j's term on a dimension it does not hold
is 0), so j neither attracts nor repels anyone there; (3) it never moves there (a bargain moves only the coordinates
it holds) and pulls no one's ideal there; (4) the forecast of an issue is the PCE-weighted mean over the actors that
hold it (each position class's probability shared among its members holding the issue, renormalised over the
classes with a position there); (5) its trajectory there is NaN and no output reports a position. With every stance
present all this is KTAB's computation bit for bit. An issue nobody holds has no forecast (status ``no_stances``).
Position classes (below) still compare whole position vectors, where an unheld coordinate keeps its input value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.errors import ParameterError, ScenarioError
from detente.models._pce import coalitions_sparse, option_probs, pairwise_victory, pce, vote
from detente.models.base import Keep, Model, Solution, first_where, register
from detente.models.contract import Capabilities, RunState, array, info, table
from detente.scenario.arrays import ScenarioArrays

if TYPE_CHECKING:  # pandas loads when the tables are built
    import pandas as pd

EQUIV_TOL = 1e-3
MIN_GAIN = 1e-5
TP_GUARD = 1e-10
BARGAIN_GUARD = 1e-6


class SpatialParams(BaseModel):
    """KTAB's SMP parameters (Wise et al. 2015; KTAB) with KTAB's defaults, plus detente's mode and salience mapping."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    mode: Literal["ktab_compat", "corrected"] = Field(
        "corrected",
        description="ktab_compat: keep KTAB's third-party and receiver-probability quirks (module docs, "
        "docs/spatial.md); corrected: fix them",
    )
    voting_rule: Literal["Binary", "PropBin", "Proportional", "PropCbc", "Cubic", "ASymProsp"] = Field(
        "Proportional",
        description="KTAB's VotingRule: how an actor's vote between two positions grows with its utility difference "
        "(Binary: its sign only; Proportional: linearly; Cubic: its cube; PropBin, PropCbc: mixtures; ASymProsp: "
        "prospect-theory asymmetry)",
    )
    victory_prob_model: Literal["Linear", "Square", "Quartic", "Octic", "Binary"] = Field(
        "Linear",
        description="KTAB's VPModel: probability that one coalition beats another from their strengths s1, s2 "
        "(Linear: s1/(s1+s2); Square, Quartic, Octic: the same with powers 2, 4, 8; Binary: the stronger wins)",
    )
    pce_model: Literal["Conditional", "MarkovIncentive", "MarkovUniform"] = Field(
        "Conditional",
        description="KTAB's PCEModel: the probabilistic Condorcet election that gives each candidate position's "
        "chance of winning (Conditional, or a Markov chain of challenges: MarkovIncentive, MarkovUniform)",
    )
    state_transitions: Literal["Deterministic", "Stochastic"] = Field(
        "Deterministic",
        description="next state: Deterministic takes the most likely bargain; Stochastic draws one by its "
        "probability (needs --seed)",
    )
    big_r_range: Literal["Min", "Mid", "Max"] = Field(
        "Mid",
        description="KTAB's BigRRange: how an actor's win probability, against the lowest and highest, becomes its "
        "risk attitude R (Min, Mid, Max)",
    )
    big_r_adjust: Literal["None", "OneThird", "Half", "TwoThirds", "Full"] = Field(
        "OneThird",
        description="KTAB's BigRAdjust: how far the estimated risk attitudes are moved towards risk neutrality "
        "(None, one third, half, two thirds, fully)",
    )
    third_party_commit: Literal["NoCommit", "SemiCommit", "FullCommit"] = Field(
        "SemiCommit",
        description="KTAB's ThirdPartyCommit: how fully third parties commit their strength to a side in a "
        "challenge (NoCommit, SemiCommit, FullCommit)",
    )
    inter_vec_brgn: Literal["S1P1", "S2P2", "S2PMax"] = Field(
        "S2P2",
        description="KTAB's InterVecBrgn: weights of a bargain between two actors' positions, per dimension "
        "(S1P1: salience × probability; S2P2: both squared; S2PMax: the less likely side concedes by the probability "
        "gap, weighted by squared saliences)",
    )
    bargn_model: Literal["InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"] = Field(
        "InitOnlyInterp",
        description="KTAB's SMPBargnModel: whose view interpolates a bargain (InitOnlyInterp: the initiator's; "
        "InitRcvrInterp: initiator's and receiver's; PWCompInterp: pairwise comparison)",
    )
    salience_mapping: Literal["share_capped", "share_normalized"] = Field(
        "share_capped", description="detente per-issue saliences -> KTAB shares of attention (see module docs)"
    )
    accommodation: list[list[float]] | None = Field(
        None, description="ideal-accommodation matrix A (n x n, rows sum <= 1); None = identity (KTAB's CSV default)"
    )
    min_rounds: int = Field(2, ge=1, description="no stop before this many turns (KTAB: 2)")
    max_rounds: int = Field(100, ge=1, le=10000, description="stop after this many turns (KTAB: 100)")
    stop_ratio: float = Field(0.02, gt=0, description="stop when change / (first change + 1e-4) falls below this")
    round_bargains: bool = Field(True, description="round S1P1/S2P2 bargain coordinates to 1e-4 of the range (KTAB)")
    euSMP_quirk: bool = Field(
        False,
        description="KTAB's --euSMP path: value the moved positions of turn-0 bargains with risk attitude 0",
    )


@dataclass
class _State:
    x: np.ndarray  # (B, N, D) positions on [0, 1]
    y: np.ndarray  # (B, N, D) ideals
    delta: np.ndarray  # (B, N, N) d_i(y_i, x_j)
    R: np.ndarray  # (B, N) risk attitudes
    U: np.ndarray  # (B, H, N, N): h's estimate of i's utility of j's position
    own: np.ndarray  # (B, N, N): i's own-view utility of j's position


# ---- elementary functions (Wise et al. 2015; KTAB) ---------------------------------------------------------------------------
def distances(s: np.ndarray, y: np.ndarray, x: np.ndarray, held: np.ndarray | None = None) -> np.ndarray:
    """d_i(y_i, x_j) = sqrt(Σ_k (s_ik (y_ik − x_jk))² / Σ_k s_ik²), (B, N, M), sums in index order.

    ``held`` (B, M, D), optional: whether position j has a coordinate on dimension k (its actor holds a stance
    there). Where it has none the term is 0: i measures the distance to the nearest point that agrees with every
    stance j holds (see the module docs on absence)."""
    D = s.shape[-1]
    num = np.zeros(s.shape[:-1] + (x.shape[-2],))
    den = np.zeros(s.shape[:-1])
    for k in range(D):
        t = s[..., :, k, None] * (y[..., :, k, None] - x[..., None, :, k])
        if held is not None:
            t = np.where(held[..., None, :, k], t, 0.0)
        num = num + t * t
        den = den + s[..., k] * s[..., k]
    return np.sqrt(num / den[..., None])


def utility(d: np.ndarray, R: np.ndarray | float) -> np.ndarray:
    """U(d, R) = (1 − d)(1 + dR) for d ≤ 1, else (1 − d)(1 + R)."""
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * R), (1.0 - d) * (1.0 + R))


def _seq_sum(a: np.ndarray, axis: int = -1) -> np.ndarray:
    a = np.moveaxis(a, axis, -1)
    acc = np.zeros(a.shape[:-1])
    for k in range(a.shape[-1]):
        acc = acc + a[..., k]
    return acc


def _r4(v: np.ndarray) -> np.ndarray:
    return np.floor(v * 1e4 + 0.5) / 1e4


# ---- the model ------------------------------------------------------------------------------------------------
class _Engine:
    """One SMP run on a batch, parameters fixed. All arrays on KTAB's internal [0, 1] scale."""

    def __init__(
        self, p: SpatialParams, s: np.ndarray, c: np.ndarray, A: np.ndarray | None, held: np.ndarray | None = None
    ) -> None:
        self.p = p
        self.held = held  # (B, N, D) the actor holds a stance on the dimension; None: everyone holds every one
        self.s = s  # (B, N, D)
        self.c = c  # (B, N)
        self.S = _seq_sum(s)  # (B, N)
        # distances are unchanged by scaling one actor's saliences (its Σ s² divides); an actor whose saliences are
        # so small that their squares underflow gets them scaled to a maximum of 1 there, so that d stays defined
        top = np.max(s, axis=-1, keepdims=True)
        tiny = (top > 0) & (top < 1e-150)
        self.s_dist = np.where(tiny, s / np.where(tiny, top, 1.0), s) if tiny.any() else s
        self.w = c * self.S  # contest weights c_i S_i
        self.A = A  # (N, N) or None
        self.compat = p.mode == "ktab_compat"

    # state quantities (Wise et al. 2015; KTAB) ------------------------------------------------------------------------------
    def state(self, x: np.ndarray, y: np.ndarray) -> _State:
        p = self.p
        delta = distances(self.s_dist, y, x, self.held)
        prob = pce(utility(delta, 0.0), self.c, rule=p.voting_rule, victory=p.victory_prob_model, model=p.pce_model)
        pmin = np.min(prob, axis=-1, keepdims=True)
        pmax = np.max(prob, axis=-1, keepdims=True)
        span = pmax - pmin
        safe = np.where(span > 0, span, 1.0)
        if p.big_r_range == "Mid":
            R = (3.0 * prob - (pmax + 2.0 * pmin)) / (2.0 * safe)
        elif p.big_r_range == "Min":
            R = (prob - pmin) / safe
        else:
            R = (2.0 * prob - (pmax + pmin)) / safe
        R = np.where(span > 0, R, 0.0)  # KTAB aborts here (all positions equally likely); detente: risk neutral
        Rh, Ri = R[:, :, None], R[:, None, :]
        adj = p.big_r_adjust
        if adj == "None":
            Rhat = np.broadcast_to(Rh, delta.shape)
        elif adj == "OneThird":
            Rhat = (2.0 * Rh + Ri) / 3.0
        elif adj == "Half":
            Rhat = (Rh + Ri) / 2.0
        elif adj == "TwoThirds":
            Rhat = (Rh + 2.0 * Ri) / 3.0
        else:
            Rhat = np.broadcast_to(Ri, delta.shape)
        U = utility(delta[:, None, :, :], Rhat[:, :, :, None])
        own = utility(delta, R[:, :, None])
        return _State(x, y, delta, R, U, own)

    # challenges (Wise et al. 2015; KTAB) ------------------------------------------------------------------------------------
    def _contest(self, g: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """P(i > j) and P(j > i) (each its own ratio) for gathered utilities ``g`` (principals, third-party getter)."""
        rule = self.p.voting_rule
        wi, wj = g["wi"], g["wj"]
        ai = vote(rule, wi, g["ii"], g["ij"])
        aj = vote(rule, wj, g["ji"], g["jj"])
        A = TP_GUARD + np.maximum(ai, 0.0) + np.maximum(aj, 0.0)
        Bs = TP_GUARD + np.maximum(-ai, 0.0) + np.maximum(-aj, 0.0)
        tot_i, tot_j = A, Bs
        commit = self.p.third_party_commit
        N = self.c.shape[-1]
        for n in range(N):
            uni, unj, unn, wn, skip = g["third"](n)
            sig = vote(rule, wn, uni, unj)
            if self.compat:
                ai_n = A + np.maximum(sig, 0.0)
                pi = ai_n / (ai_n + (Bs + np.maximum(-sig, 0.0)))
                pi_i = pi_j = pi
            else:
                mag = np.abs(sig)
                pi_i = (A + mag) / ((A + mag) + Bs)
                pi_j = A / (A + (Bs + mag))
            if commit == "SemiCommit":
                win_i, lose_i = 2.0 * uni + unn, 3.0 * unj
                win_j, lose_j = 2.0 * unj + unn, 3.0 * uni
            elif commit == "FullCommit":
                win_i, lose_i = 3.0 * uni, 3.0 * unj
                win_j, lose_j = 3.0 * unj, 3.0 * uni
            else:
                win_i, lose_i = 2.0 * uni + unn, 2.0 * unj + unn
                win_j, lose_j = 2.0 * unj + unn, 2.0 * uni + unn
            Ei = pi_i * win_i + (1.0 - pi_i) * lose_i
            Ej = pi_j * lose_j + (1.0 - pi_j) * win_j
            tau = vote(rule, wn, Ei, Ej)
            tot_i = tot_i + np.where(skip, 0.0, np.maximum(tau, 0.0))
            tot_j = tot_j + np.where(skip, 0.0, np.maximum(-tau, 0.0))
        tot = tot_i + tot_j
        return tot_i / tot, tot_j / tot

    def _gain(self, P: np.ndarray, Q: np.ndarray, uki: np.ndarray, ukj: np.ndarray, Sj: np.ndarray) -> np.ndarray:
        """ΔEU_k(i → j): expected value of challenging minus the status quo, for an actor k."""
        sq = uki + ukj
        contest = P * (2.0 * uki) + Q * (2.0 * ukj)
        ev = (1.0 - Sj) * (2.0 * uki) + Sj * contest
        return ev - sq

    def own_challenges(self, st: _State) -> tuple[np.ndarray, np.ndarray]:
        """P^i(i > j) and ΔEU^i_i(i → j) for all (i, j), each actor from its own perspective: (B, N, N)."""
        U = st.U
        N = U.shape[-1]
        ar = np.arange(N)
        Ii, Jj = ar[:, None], ar[None, :]
        g = {
            "wi": self.w[:, :, None],
            "wj": self.w[:, None, :],
            "ii": U[:, ar, ar, ar][:, :, None],
            "ij": U[:, ar, ar, :],
            "ji": U[:, Ii, Jj, Ii],
            "jj": U[:, Ii, Jj, Jj],
        }

        def third(n: int) -> tuple[np.ndarray, ...]:
            Un = U[:, :, n, :]  # (B, h=i, pos)
            return (
                Un[:, ar, ar][:, :, None],
                Un,
                Un[:, :, n][:, :, None],
                self.w[:, n][:, None, None],
                (Ii == n) | (Jj == n),
            )

        g["third"] = third
        P, Q = self._contest(g)
        gain = self._gain(P, Q, g["ii"], g["ij"], self.S[:, None, :])
        return P, gain

    def perspective_challenges(self, st: _State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every perspective h: P^h(i > j), ΔEU^h_i(i → j), ΔEU^h_j(i → j), each (B, H, N, N). O(N⁴): diagnostics."""
        U = st.U
        N = U.shape[-1]
        ar = np.arange(N)
        diag = U[:, :, ar, ar]  # (B, H, N): u^h_i(i)
        g = {
            "wi": self.w[:, None, :, None],
            "wj": self.w[:, None, None, :],
            "ii": diag[:, :, :, None],
            "ij": U,
            "ji": np.swapaxes(U, -1, -2),
            "jj": diag[:, :, None, :],
        }
        Ii, Jj = ar[:, None], ar[None, :]

        def third(n: int) -> tuple[np.ndarray, ...]:
            Un = U[:, :, n, :]
            return (
                Un[:, :, :, None],
                Un[:, :, None, :],
                U[:, :, n, n][:, :, None, None],
                self.w[:, n][:, None, None, None],
                (Ii == n) | (Jj == n),
            )

        g["third"] = third
        P, Q = self._contest(g)
        gain_i = self._gain(P, Q, g["ii"], g["ij"], self.S[:, None, None, :])
        # effect on j: u_j(i), u_j(j)
        gain_j = self._gain(P, Q, g["ji"], g["jj"], self.S[:, None, None, :])
        return P, gain_i, gain_j

    # bargains (Wise et al. 2015; KTAB) --------------------------------------------------------------------------------------
    def interpolate(self, ti: np.ndarray, tj: np.ndarray, si: np.ndarray, sj: np.ndarray, p: np.ndarray):
        """Bargain positions (b_i, b_j) between current positions ti, tj (…, D) with probability p (…,)."""
        q = 1.0 - p
        P, Q = p[..., None], q[..., None]
        kind = self.p.inter_vec_brgn
        if kind == "S2PMax":
            di = np.maximum(0.0, Q - P)
            dj = np.maximum(0.0, P - Q)
            fi = di * (sj * sj) / (di * (sj * sj) + BARGAIN_GUARD + (1.0 - di) * (si * si))
            fj = dj * (si * si) / (dj * (si * si) + BARGAIN_GUARD + (1.0 - dj) * (sj * sj))
            return ti + fi * (tj - ti), tj + fj * (ti - tj)
        if kind == "S2P2":
            wi = (si * si) * (P * P)
            wj = (sj * sj) * (Q * Q)
        else:
            wi = si * P
            wj = sj * Q
        den = wi + BARGAIN_GUARD + wj
        bi = ((wi + BARGAIN_GUARD) * ti + wj * tj) / den
        bj = (wi * ti + (wj + BARGAIN_GUARD) * tj) / den
        if self.p.round_bargains:
            bi, bj = _r4(bi), _r4(bj)
        return bi, bj

    # one turn (Wise et al. 2015; KTAB) ----------------------------------------------------------------------------------
    def turn(self, st: _State, first: bool, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        p = self.p
        B, N, D = st.x.shape
        ar = np.arange(N)
        bidx = np.arange(B)[:, None]
        P, gain = self.own_challenges(st)
        gmask = np.where(ar[:, None] == ar[None, :], -np.inf, gain)
        tgt = np.argmax(gmask, axis=-1)  # (B, N): ties -> lowest j
        best = gmask[bidx, ar[None, :], tgt]
        has = best > MIN_GAIN
        pij = P[bidx, ar[None, :], tgt]
        x, s = st.x, self.s
        ti, tj = x, x[bidx, tgt]
        si, sj = s, s[bidx, tgt]
        # bargains: up to two per proposer (slot 0 for both queues, or 0 -> initiator / 1 -> receiver)
        binit, brcvr = self.interpolate(ti, tj, si, sj, pij)
        bargains = [(binit, brcvr, "both")]
        if p.bargn_model != "InitOnlyInterp":
            Pall, _, gain_j = self.perspective_pairs(st, tgt)
            pj = gain_j if self.compat else Pall
            rinit, rrcvr = self.interpolate(ti, tj, si, sj, pj)
            if p.bargn_model == "InitRcvrInterp":
                bargains = [(binit, brcvr, "init"), (rinit, rrcvr, "rcvr")]
            else:
                ci = self.c
                cj = self.c[bidx, tgt]
                wI = (ci * self.S)[..., None]
                wR = ((ci if self.compat else cj) * self.S[bidx, tgt])[..., None]
                binit = (wI * binit + wR * rinit) / (wI + wR)
                brcvr = (wI * brcvr + wR * rrcvr) / (wI + wR)
                bargains = [(binit, brcvr, "both")]
        # values of options for every voter n (Wise et al. 2015; KTAB)
        Rv = np.zeros_like(st.R) if (first and p.euSMP_quirk) else st.R
        vals_sq = _seq_sum(st.own) / N  # (B, N voters)
        opt_val, opt_prop = [], []
        for bi_, br_, kind in bargains:
            hi_ = hr_ = None
            if self.held is not None:  # bargain m is the initiator m's / the receiver tgt(m)'s new position
                hi_, hr_ = self.held, self.held[bidx, tgt]
            ui = utility(distances(self.s_dist, st.y, bi_, hi_), Rv[:, :, None])  # (B, voter n, proposer m)
            ur = utility(distances(self.s_dist, st.y, br_, hr_), Rv[:, :, None])
            # the two moved positions first, then the others in index order (KTAB's order, bit-exact)
            acc = ui.transpose(0, 2, 1) + ur.transpose(0, 2, 1)  # (B, proposer m, voter n)
            for j in range(N):
                moved = ((ar == j)[None, :] | (tgt == j))[:, :, None]
                acc = acc + np.where(moved, 0.0, st.own[:, :, j][:, None, :])
            opt_val.append(acc / N)
            opt_prop.append(kind)
        # queues: SQ first, then bargains by proposer index (and slot)
        members = []
        for kind in opt_prop:
            mi = has[:, None, :] & (ar[None, :, None] == ar[None, None, :])  # k == m (initiator)
            mr = has[:, None, :] & (tgt[:, None, :] == ar[None, :, None])  # k == target(m)
            if kind == "init":
                members.append(mi)
            elif kind == "rcvr":
                members.append(mr)
            else:
                members.append(mi | mr)
        nslot = len(members)
        mem = np.stack(members, axis=-1).reshape(B, N, N * nslot)  # (B, k, m*nslot + slot)
        cnt = mem.sum(axis=-1)
        Q = 1 + max(int(cnt.max()), 1)  # at least one (padded) proposal slot
        order = np.argsort(~mem, axis=-1, kind="stable")[:, :, : Q - 1]
        valid = np.concatenate([np.ones((B, N, 1), bool), np.arange(Q - 1)[None, None, :] < cnt[..., None]], -1)
        allv = np.stack(opt_val, axis=2).reshape(B, N * nslot, N)  # (B, option, voter)
        gathered = allv[bidx[:, :, None], order]  # (B, k, Q-1, voter)
        util = np.concatenate([np.broadcast_to(vals_sq[:, None, None, :], (B, N, 1, N)), gathered], axis=2)
        util = np.where(valid[..., None], util, 0.0).transpose(0, 1, 3, 2)  # (B, k, voter, option)
        C = coalitions_sparse(util, self.c[:, None, :], p.voting_rule, valid)
        V = pairwise_victory(C, p.victory_prob_model)
        probs = option_probs(V, C, p.pce_model, valid)
        if p.state_transitions == "Deterministic":
            pm = np.where(valid, probs, -np.inf)
            choice = np.argmax(pm, axis=-1)
        else:
            u = rng.random((B, N))
            cum = np.cumsum(np.where(valid, probs, 0.0), axis=-1)
            ge = (cum >= u[..., None]) & valid
            last = cnt  # last valid index
            choice = np.where(ge.any(-1), np.argmax(ge, axis=-1), last)
        chosen_prob = np.take_along_axis(probs, choice[..., None], -1)[..., 0]
        # new positions
        code = np.take_along_axis(order, np.maximum(choice - 1, 0)[..., None], -1)[..., 0]
        prop = code // nslot
        slot = code % nslot
        moved = choice > 0
        newx = x.copy()
        for sl, (bi_, br_, _kind) in enumerate(bargains):
            sel_i = moved & (slot == sl) & (prop == ar[None, :])
            sel_r = moved & (slot == sl) & (prop != ar[None, :])
            newx = np.where(sel_i[..., None], bi_[bidx, prop], newx)
            newx = np.where(sel_r[..., None], br_[bidx, prop], newx)
        if self.held is not None:  # an actor has no position where it holds no stance: that coordinate never moves
            newx = np.where(self.held, newx, x)
        info = {
            "target": np.where(has, tgt, -1),
            "gain": best,
            "p_win": pij,
            "choice_prop": np.where(moved, prop, -1),
            "choice_slot": slot,
            "choice_prob": chosen_prob,
            "queue_len": cnt + 1,
            "b_init": bargains[0][0],
            "b_rcvr": bargains[0][1],
            "queue": np.where(valid[:, :, 1:], order, -1),
            "queue_probs": np.where(valid, probs, np.nan),
            "values": opt_val[0],
            "values_sq": vals_sq,
        }
        return newx, info

    def perspective_pairs(self, st: _State, tgt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The receiver's view of each proposer's challenge: P^j(i > j), ΔEU^j_i, ΔEU^j_j for j = tgt(i)."""
        P, gi, gj = self.perspective_challenges(st)
        B, N = tgt.shape
        bidx = np.arange(B)[:, None]
        ar = np.arange(N)[None, :]
        return P[bidx, tgt, ar, tgt], gi[bidx, tgt, ar, tgt], gj[bidx, tgt, ar, tgt]

    def new_ideals(self, x_new: np.ndarray, y_old: np.ndarray) -> np.ndarray:
        if self.A is None:
            return x_new
        A = self.A
        if self.held is not None:  # only the coordinates an actor holds pull the others' ideals
            rows_k = np.zeros_like(x_new)
            acc = np.zeros_like(x_new)
            for j in range(A.shape[1]):
                h = self.held[:, j, None, :]
                rows_k = rows_k + np.where(h, A[None, :, j, None], 0.0)
                acc = acc + np.where(h, A[None, :, j, None] * x_new[:, j, None, :], 0.0)
            return np.where(self.held, acc + (1.0 - rows_k) * y_old, y_old)
        rows = _seq_sum(A)
        acc = np.zeros_like(x_new)
        for j in range(A.shape[1]):
            acc = acc + A[None, :, j, None] * x_new[:, j, None, :]
        return acc + (1.0 - rows)[None, :, None] * y_old

    # reported probabilities (Wise et al. 2015; KTAB) ------------------------------------------------------------------------
    def win_probs(self, st: _State, *, with_options: bool = False) -> Any:
        """Probability of each actor's position class (equal positions share one class), (B, N).

        ``with_options``: also return the option weights (B, N) — each representative's probability, zero for the
        other actors (they sum to 1).
        """
        x = st.x
        B, N, _ = x.shape
        if self.compat:
            rep, is_rep = equivalence_classes(x)
        else:
            rep, is_rep = equivalence_components(x, self.c)
        # distinct options in index order, padded
        M = int(is_rep.sum(axis=-1).max())
        order = np.argsort(~is_rep, axis=-1, kind="stable")[:, :M]
        valid = np.arange(M)[None, :] < is_rep.sum(axis=-1)[:, None]
        bidx = np.arange(B)[:, None]
        util = st.own[bidx[:, :, None], np.arange(N)[None, :, None], order[:, None, :]]  # (B, voter, option)
        util = np.where(valid[:, None, :], util, 0.0)
        p = self.p
        probs = pce(util, self.c, rule=p.voting_rule, victory=p.victory_prob_model, model=p.pce_model, valid=valid)
        # map classes back to actors
        pos_of = np.zeros((B, N), dtype=int)
        pos_of[bidx, order] = np.arange(M)[None, :]
        per_actor = probs[bidx, pos_of[bidx, rep]]
        if not with_options:
            return per_actor
        weights = np.zeros((B, N))
        weights[bidx, order] = np.where(valid, probs, 0.0)
        if self.held is not None:
            return per_actor, weights, rep
        return per_actor, weights


def equivalence_classes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Classes of equal positions (Euclidean distance < 1e-3 on [0, 1]), as KTAB reports them.

    Representatives are formed first to last: an actor close to no earlier representative becomes one (these are
    the options of the PCE). Each actor then reports the class of the *last* representative it is close to — that
    is how KTAB's logged win probabilities assign an actor lying within 1e-3 of two representatives.
    Returns ``rep`` (B, N), the representative each actor reports, and ``is_rep`` (B, N).
    """
    B, N, _ = x.shape
    diff = x[:, :, None, :] - x[:, None, :, :]
    close = np.sqrt(_seq_sum(diff * diff)) < EQUIV_TOL  # (B, N, N)
    is_rep = np.zeros((B, N), dtype=bool)
    for i in range(N):
        is_rep[:, i] = ~np.any(close[:, i, :i] & is_rep[:, :i], axis=-1)
    cand = close & is_rep[:, None, :]
    rep = (N - 1) - np.argmax(cand[:, :, ::-1], axis=-1)
    return rep, is_rep


def equivalence_components(x: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order-independent classes (the corrected mode): connected components of "closer than 1e-3".

    Each component is represented by its most capable member (ties: lowest index), so the classes and their
    probabilities do not depend on the order of the actors (KTAB's first-come classes do, see
    :func:`equivalence_classes`). Returns ``rep`` (B, N) and ``is_rep`` (B, N).
    """
    B, N, _ = x.shape
    diff = x[:, :, None, :] - x[:, None, :, :]
    close = np.sqrt(_seq_sum(diff * diff)) < EQUIV_TOL
    label = np.broadcast_to(np.arange(N), (B, N)).copy()
    for _ in range(N):
        new = np.min(np.where(close, label[:, None, :], N), axis=-1)
        if np.array_equal(new, label):
            break
        label = new
    same = label[:, :, None] == label[:, None, :]
    score = np.where(same, c[:, None, :], -np.inf)  # capability of each member of i's component
    rep = np.argmax(score, axis=-1)  # first index of the maximum: ties -> lowest index
    is_rep = rep == np.arange(N)[None, :]
    return rep, is_rep


def _change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """D(a, b) = Σ_i ‖x_i(a) − x_i(b)‖₂ (index order), (B,)."""
    d = a - b
    return _seq_sum(np.sqrt(_seq_sum(d * d)))


def simulate(
    x0: np.ndarray,
    s: np.ndarray,
    c: np.ndarray,
    params: SpatialParams,
    rng: np.random.Generator | None = None,
    held: np.ndarray | None = None,
    stop_after: int | None = None,
    init: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the SMP on KTAB's [0, 1] scale: ``x0``/``s`` (B, N, D) positions and salience shares, ``c`` (B, N);
    ``held`` (B, N, D) whether the actor holds a stance on the dimension (None: every actor on every one).
    ``stop_after``: stop after that turn; ``init``: continue a stopped run (``turn``, ``ideals``, ``first_change``,
    ``active``, ``turns``, ``converged`` as the stopped run's ``state`` returned them; ``x0`` its positions).

    Returns a dict with ``positions`` (B, T+1, N, D), ``ideals``, ``win_prob`` (B, T+1, N), ``risk``,
    ``stop_ratio`` (B, T+1), ``turns`` (B,), ``converged`` (B,), per-turn ``records`` (list of dicts) and the
    ``state`` at the stop.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    x0 = np.asarray(x0, float)
    B, N, D = x0.shape
    s = np.asarray(s, float)
    c = np.asarray(c, float)
    A = None if params.accommodation is None else np.asarray(params.accommodation, float)
    if A is not None and A.shape != (N, N):
        raise ParameterError(f"model 'spatial': accommodation must be {N} x {N}, got shape {A.shape}")
    if held is not None:
        held = np.broadcast_to(np.asarray(held, bool), x0.shape)
        if held.all():
            held = None
    eng = _Engine(params, s, c, A, held)
    y0 = x0 if init is None else np.asarray(init["ideals"], float)
    xs = [x0.copy()]
    ys = [y0.copy()]
    st = eng.state(x0, y0)
    wps = [eng.win_probs(st)]
    risks = [st.R]
    ratios = [np.full(B, np.nan)]
    if init is None:
        first_change = np.zeros(B)
        active = np.ones(B, bool)
        turns = np.zeros(B, int)
        converged = np.zeros(B, bool)
        t = 0
    else:
        first_change, active = init["first_change"].copy(), init["active"].copy()
        turns, converged, t = init["turns"].copy(), init["converged"].copy(), int(init["turn"])
    last = params.max_rounds if stop_after is None else min(params.max_rounds, stop_after)
    records: list[dict[str, Any]] = []
    states = st
    while active.any() and t < last:
        t += 1
        idx = np.flatnonzero(active)
        sub = _Engine(params, s[idx], c[idx], A, None if held is None else held[idx]) if len(idx) < B else eng
        cur = _take_state(states, idx) if len(idx) < B else states
        newx_sub, info = sub.turn(cur, t == 1, rng)
        newy_sub = sub.new_ideals(newx_sub, cur.y)
        newx = xs[-1].copy()
        newy = ys[-1].copy()
        newx[idx] = newx_sub
        newy[idx] = newy_sub
        change = _change(newx_sub, xs[-1][idx])
        if t == 1:
            first_change[idx] = change
        ratio = np.full(B, np.nan)
        ratio[idx] = change / (first_change[idx] + 1e-4)
        new_states = sub.state(newx_sub, newy_sub)
        full = _expand_state(states, new_states, idx, B) if len(idx) < B else new_states
        wp = wps[-1].copy()
        wp[idx] = sub.win_probs(new_states)
        rk = risks[-1].copy()
        rk[idx] = new_states.R
        records.append({"turn": t, "draws": idx, **info})
        xs.append(newx)
        ys.append(newy)
        wps.append(wp)
        risks.append(rk)
        ratios.append(ratio)
        states = full
        turns[idx] = t
        stop_conv = (t >= params.min_rounds) & (ratio[idx] < params.stop_ratio)
        converged[idx[stop_conv]] = True
        stop = stop_conv | (t >= params.max_rounds)
        active[idx[stop]] = False
    # the forecast: PCE-probability-weighted mean of the distinct final positions
    if held is None:
        _, final_w = eng.win_probs(states, with_options=True)
        outcome = _seq_sum(final_w[..., None] * states.x, axis=1)
    else:
        per_actor, final_w, rep = eng.win_probs(states, with_options=True)
        outcome = _outcome_held(per_actor, final_w, rep, states.x, held)
    return {
        "outcome": outcome,
        "positions": np.stack(xs, axis=1),
        "ideals": np.stack(ys, axis=1),
        "win_prob": np.stack(wps, axis=1),
        "risk": np.stack(risks, axis=1),
        "stop_ratio": np.stack(ratios, axis=1),
        "turns": turns,
        "converged": converged,
        "records": records,
        "engine": eng,
        "state": {
            "turn": t,
            "x": states.x,
            "ideals": states.y,
            "first_change": first_change,
            "active": active,
            "turns": turns,
            "converged": converged,
        },
    }


def _outcome_held(per_actor: np.ndarray, weights: np.ndarray, rep: np.ndarray, x: np.ndarray, held: np.ndarray):
    """The forecast where some actors hold no stance on some dimensions, (B, D).

    On a dimension every actor holds, the PCE-probability-weighted mean of the distinct positions (as without
    absence, bit for bit). On the others, each class's probability is shared among its members that hold the
    dimension, and the mean is taken over the classes that have a position there (renormalised); NaN where no
    actor holds the dimension (the issue has no forecast).
    """
    full = _seq_sum(weights[..., None] * x, axis=1)
    same = rep[:, :, None] == rep[:, None, :]  # (B, N, N) same class
    members = np.einsum("bij,bjd->bid", same.astype(float), held.astype(float))  # class members holding d
    w = np.where(held, per_actor[..., None] / np.maximum(members, 1.0), 0.0)
    tot = _seq_sum(w, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        part = _seq_sum(w * x, axis=1) / tot
        mean = _seq_sum(np.where(held, x, 0.0), axis=1) / _seq_sum(held.astype(float), axis=1)
    out = np.where(held.all(axis=1), full, np.where(tot > 0, part, mean))  # mean: only zero-probability classes
    return np.where(held.any(axis=1), out, np.nan)


CHUNK_CELLS = 4_000_000
"""Batches are run in chunks of at most this many B·N³ cells (memory of the perspective utilities)."""


def _merge(parts: list[dict[str, Any]], step: int) -> dict[str, Any]:
    """Concatenate chunked :func:`simulate` results along the batch axis (padding turns with the final state)."""
    T1 = max(p["positions"].shape[1] for p in parts)

    def pad(a: np.ndarray, fill: float | None = None) -> np.ndarray:
        extra = T1 - a.shape[1]
        if not extra:
            return a
        tail = (
            np.repeat(a[:, -1:], extra, axis=1) if fill is None else np.full(a.shape[:1] + (extra,) + a.shape[2:], fill)
        )
        return np.concatenate([a, tail], axis=1)

    out: dict[str, Any] = {
        "outcome": np.concatenate([p["outcome"] for p in parts]),
        "turns": np.concatenate([p["turns"] for p in parts]),
        "converged": np.concatenate([p["converged"] for p in parts]),
    }
    for key in ("positions", "ideals", "win_prob", "risk"):
        out[key] = np.concatenate([pad(p[key]) for p in parts])
    out["stop_ratio"] = np.concatenate([pad(p["stop_ratio"], np.nan) for p in parts])
    records: list[dict[str, Any]] = []
    for k, p in enumerate(parts):
        for rec in p["records"]:
            records.append({**rec, "draws": np.asarray(rec["draws"]) + k * step})
    out["records"] = records
    out["engine"] = parts[0]["engine"]
    out["t0"] = parts[0].get("t0", 0)
    out["state"] = {
        k: (max(p["state"][k] for p in parts) if k == "turn" else np.concatenate([p["state"][k] for p in parts]))
        for k in parts[0]["state"]
    }
    return out


def _take_state(st: _State, idx: np.ndarray) -> _State:
    return _State(st.x[idx], st.y[idx], st.delta[idx], st.R[idx], st.U[idx], st.own[idx])


def _expand_state(old: _State, new: _State, idx: np.ndarray, B: int) -> _State:
    out = []
    for name in ("x", "y", "delta", "R", "U", "own"):
        a = getattr(old, name).copy()
        a[idx] = getattr(new, name)
        out.append(a)
    return _State(*out)


def ktab_inputs(arrays: ScenarioArrays, mapping: str = "share_capped") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """detente arrays → KTAB's (positions on [0, 1], salience shares, capability per actor), see module docs."""
    lo, hi = arrays.lower, arrays.upper
    x = (arrays.position - lo) / (hi - lo)
    sig = np.where(arrays.mask, arrays.salience, 0.0)
    tot = _seq_sum(sig)
    if mapping == "share_capped":
        s = np.where(tot[..., None] > 1.0, sig / np.where(tot > 0, tot, 1.0)[..., None], sig)
    else:
        s = sig / np.where(tot > 0, tot, 1.0)[..., None]
    cap = np.where(arrays.mask, arrays.capability, 0.0)
    same = np.all(cap == cap[..., :1], axis=-1) | (arrays.mask.sum(-1) <= 1)
    wsum = _seq_sum(sig * cap)
    c = np.where(same, np.max(cap, axis=-1), wsum / np.where(tot > 0, tot, 1.0))
    for b in range(arrays.batch):
        bad = np.flatnonzero(tot[b] <= 0)
        if bad.size:
            raise ScenarioError(
                "the spatial model needs every actor to care about some issue (KTAB divides by the total salience)",
                file=arrays.name,
                where=f"actor {arrays.actors[bad[0]]!r}",
                value=0.0,
                expected="a total salience > 0",
            )
        badc = np.flatnonzero(c[b] <= 0)
        if badc.size:
            raise ScenarioError(
                "the spatial model needs positive capabilities (votes are weighted by capability)",
                file=arrays.name,
                where=f"actor {arrays.actors[badc[0]]!r}.capability",
                value=float(c[b, badc[0]]),
                expected="a capability > 0",
            )
    return x, s, c


@register
class Spatial(Model[SpatialParams]):
    """KTAB's spatial model of politics (probabilistic Condorcet elections, multi-dimensional). See module docs."""

    name: ClassVar[str] = "spatial"
    capabilities = Capabilities(round_based=True, couples_issues=True, stochastic=True)
    summary: ClassVar[str] = (
        "KTAB's spatial model of politics: challenges, bargains and PCE votes in all issues at once"
    )
    Params = SpatialParams
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "corrected": {"mode": "corrected"},
        "ktab_compat": {"mode": "ktab_compat"},
    }
    default_preset: ClassVar[str | None] = "corrected"
    outputs = (
        table(
            "moves",
            "draw, turn, actor, moved, bargain, initiator, receiver, partner, via, p_win, choice_prob, queue_len, shift",
            "for every turn and actor the bargain it took and its partner (why did this actor move)",
        ),
        table("proposals", "draw, turn, initiator, target, gain, p_win", "every challenge made"),
        array("win_prob", "(B, R, n)", "the PCE probability of each actor's position class by turn"),
        array("stop_ratio", "(B, R)", "change / (first change + 1e-4) by turn (NaN at turn 0 and after the stop)"),
        array("risk", "(B, R, n)", "each actor's risk attitude by turn"),
        array("ideals", "(B, R, n, m)", "each actor's ideal point by turn, on the issues' scales"),
        array("turns", "(B,) int", "turns run per draw (the rounds of the other models)"),
        info("turns", "list[int]", "turns run per draw (the rounds of the other models)"),
        info("stop_ratio", "list of lists", "each draw's stop ratio by turn"),
        info("win_prob", "list of lists", "draw 0's win probabilities by turn"),
        info(
            "zero_salience_actors",
            "{actors, note}",
            "actors with salience 0 on every issue, left out of the coalition arithmetic",
            "some actor has salience 0 on every issue",
        ),
    )

    def cannot_run(self, arrays: ScenarioArrays) -> str | None:
        """KTAB's SMP needs two actors who care about some issue (salience > 0; the others are left out of the
        coalition arithmetic), each with a positive capability where it cares (votes are weighted by it)."""
        sig = np.where(arrays.mask, arrays.salience, 0.0)
        cares = sig.sum(axis=-1) > 0  # (B, n)
        least = int(cares.sum(axis=-1).min())
        if least < 2:
            return f"the spatial model needs at least two actors who care about some issue (salience > 0), got {least}"
        powerless = cares & ((sig * np.where(arrays.mask, arrays.capability, 0.0)).sum(axis=-1) <= 0)
        return first_where(
            powerless,
            arrays.actors,
            "actor {} has capability 0 on every issue it cares about; the spatial model weighs votes by capability, "
            "expected a capability > 0",
        )

    def uses_randomness(self) -> bool:
        """Stochastic state transitions draw; deterministic ones (the default) do not."""
        return self.params.state_transitions == "Stochastic"

    def _solve(self, arrays: ScenarioArrays, rng: np.random.Generator) -> Solution:
        return self._solve_rounds(arrays, rng, "full", None, None)

    def _solve_rounds(
        self,
        arrays: ScenarioArrays,
        rng: np.random.Generator,
        keep: Keep,
        stop_after: int | None,
        start: RunState | None,
    ) -> Solution:
        """The full run either way (``keep`` is applied by :meth:`Model.solve`). A continued stochastic run gives the
        numbers of one run when the batch ran as one block and one group of caring actors (draws are made turn by
        turn over the whole block)."""
        init = None if start is None else _init(start, arrays)
        cares = np.where(arrays.mask, arrays.salience, 0.0).sum(axis=-1) > 0  # (B, n)
        if cares.all():
            sol = self._solve_caring(arrays, rng, stop_after, init)
        else:
            # actors with salience 0 on every issue have no utility to vote with: out of the coalition arithmetic
            patterns, which = np.unique(cares, axis=0, return_inverse=True)
            parts = []
            for k, keep_actors in enumerate(patterns):
                idx = np.flatnonzero(which.ravel() == k)
                sub = arrays.take(idx) if len(patterns) > 1 else arrays
                kept = np.flatnonzero(keep_actors)
                sub_init = None if init is None else _take_init(init, idx if len(patterns) > 1 else None, kept)
                sol = self._solve_caring(sub.select_actors(kept), rng, stop_after, sub_init)
                parts.append((idx, _expand_actors(sol, sub, kept)))
            sol = parts[0][1] if len(parts) == 1 else _stitch(parts, arrays.batch)
            dropped = [arrays.actors[i] for i in np.flatnonzero(~cares[0])]
            if dropped:
                sol.info["zero_salience_actors"] = {
                    "actors": dropped,
                    "note": "salience 0 on every issue: left out of challenges, bargains and votes; position unchanged",
                }
        if sol.state is not None and self.uses_randomness():
            sol.state = dataclasses.replace(sol.state, internal={**sol.state.internal, "rng": rng.bit_generator.state})
        return sol

    def _solve_caring(
        self,
        arrays: ScenarioArrays,
        rng: np.random.Generator,
        stop_after: int | None = None,
        init: dict[str, Any] | None = None,
    ) -> Solution:
        p = self.params
        if arrays.n_actors < 2:
            raise ScenarioError(
                "the spatial model needs at least two actors who care about some issue (salience > 0)",
                file=arrays.name,
                value=arrays.n_actors,
            )
        x0, s, c = ktab_inputs(arrays, p.salience_mapping)
        if init is not None:
            x0 = init["x"]
        B, N, _ = x0.shape
        step = max(1, int(CHUNK_CELLS // max(N**3, 1)))  # bound the (B, N, N, N) utility tensors
        held = None if arrays.mask.all() else arrays.mask
        if B <= step:
            res = simulate(x0, s, c, p, rng, held, stop_after, init)
            res["t0"] = 0 if init is None else int(init["turn"])
            return solution_from_run(arrays, res)
        parts = [
            simulate(
                x0[k : k + step],
                s[k : k + step],
                c[k : k + step],
                p,
                rng,
                None if held is None else held[k : k + step],
                stop_after,
                None if init is None else _take_init(init, np.arange(k, min(k + step, B)), None),
            )
            for k in range(0, B, step)
        ]
        for part in parts:
            part["t0"] = 0 if init is None else int(init["turn"])
        return solution_from_run(arrays, _merge(parts, step))


def _init(start: RunState, arrays: ScenarioArrays) -> dict[str, Any]:
    """:func:`simulate`'s state to continue from, for all actors (KTAB's [0, 1] scale). The stopped run's exact
    positions and ideals are used where an actor's position is still the one it stopped at; elsewhere (after an
    edit) the new position, which is then also the actor's ideal."""
    st = start.internal
    lo, hi = arrays.lower, arrays.upper
    x = np.asarray((arrays.position - lo) / (hi - lo), float)
    y = x.copy()
    B = arrays.batch
    if st["actors"] == arrays.actors:
        same = (lo + st["x"] * (hi - lo) == arrays.position) | ~arrays.mask
        x = np.where(same, st["x"], x)
        y = np.where(same.all(axis=-1, keepdims=True), st["ideals"], x)
    if start.restarted:
        return {
            "turn": start.round,
            "x": x,
            "ideals": y,
            "first_change": st["first_change"],
            "active": np.ones(B, bool),
            "turns": np.full(B, start.round),
            "converged": np.zeros(B, bool),
        }
    return {
        "turn": start.round,
        "x": x,
        "ideals": y,
        **{k: st[k] for k in ("first_change", "active", "turns", "converged")},
    }


def _take_init(init: dict[str, Any], draws: np.ndarray | None, actors: np.ndarray | None) -> dict[str, Any]:
    """``init`` for some draws and actors."""
    out = {}
    for k, v in init.items():
        if k == "turn":
            out[k] = v
            continue
        v = v if draws is None else v[draws]
        out[k] = v[:, actors] if actors is not None and k in ("x", "ideals") else v
    return out


def _expand_actors(sol: Solution, arrays: ScenarioArrays, kept: np.ndarray) -> Solution:
    """A solution of the kept actors widened to all of ``arrays``' actors: the others hold their position, never
    win (PCE probability 0) and are risk neutral."""
    B, T1, _, D = sol.trajectory.shape
    N = arrays.n_actors
    traj = np.repeat(arrays.position[:, None], T1, axis=1).astype(float)
    traj[:, :, kept] = sol.trajectory
    out = dict(sol.arrays)
    for key, fill in (("win_prob", 0.0), ("risk", 0.0)):
        a = np.full(sol.arrays[key].shape[:2] + (N,), fill)
        a[:, :, kept] = sol.arrays[key]
        out[key] = a
    ideals = np.repeat(arrays.position[:, None], sol.arrays["ideals"].shape[1], axis=1).astype(float)
    ideals[:, :, kept] = sol.arrays["ideals"]
    out["ideals"] = ideals
    info = dict(sol.info)
    rel = _rel_turns(sol)
    info["win_prob"] = [[_clean(w) for w in out["win_prob"][b, : int(rel[b]) + 1]] for b in range(min(B, 1))]
    return Solution(sol.outcomes, traj, sol.status, sol.rounds, sol.tables, out, info, _widen_state(sol, arrays, kept))


def _rel_turns(sol: Solution) -> np.ndarray:
    """Each draw's turns within this run's rows (turns counted from a continued run's start)."""
    t0 = 0 if sol.state is None else int(sol.state.internal["t0"])
    return np.maximum(np.asarray(sol.arrays["turns"]) - t0, 0)


def _widen_state(sol: Solution, arrays: ScenarioArrays, kept: np.ndarray) -> RunState | None:
    """A kept-actors :class:`RunState` widened to all actors: the others hold their positions (and ideals)."""
    st = sol.state
    if st is None:
        return None
    x01 = (arrays.position - arrays.lower) / (arrays.upper - arrays.lower)
    x, y = x01.astype(float), x01.astype(float)
    x[:, kept], y[:, kept] = st.internal["x"], st.internal["ideals"]
    pos = np.where(arrays.mask, arrays.position, np.nan).astype(float)
    pos[:, kept] = st.positions
    return dataclasses.replace(
        st, actors=arrays.actors, positions=pos, internal={**st.internal, "x": x, "ideals": y, "actors": arrays.actors}
    )


def _stitch(parts: list[tuple[np.ndarray, Solution]], B: int) -> Solution:
    """Solutions of sub-batches (draw indices ``idx``) put back in draw order, turns padded with the final state."""
    import pandas as pd

    T1 = max(s.trajectory.shape[1] for _, s in parts)

    def pad(a: np.ndarray, fill: float | None = None) -> np.ndarray:
        if a.ndim < 2 or T1 == a.shape[1]:
            return a
        extra = T1 - a.shape[1]
        tail = np.repeat(a[:, -1:], extra, axis=1) if fill is None else np.full((a.shape[0], extra, *a.shape[2:]), fill)
        return np.concatenate([a, tail], axis=1)

    def place(arrs: list[np.ndarray]) -> np.ndarray:
        out = np.empty((B, *arrs[0].shape[1:]), dtype=arrs[0].dtype)
        for (idx, _), a in zip(parts, arrs):
            out[idx] = a
        return out

    first = parts[0][1]
    arrays = {
        k: place([pad(s.arrays[k], np.nan if k == "stop_ratio" else None) for _, s in parts]) for k in first.arrays
    }
    tables = {}
    for k in first.tables:
        frames = []
        for idx, s in parts:
            f = s.tables[k].copy()
            f["draw"] = idx[f["draw"].to_numpy(int)] if len(f) else f["draw"]
            frames.append(f)
        tables[k] = pd.concat(frames, ignore_index=True).sort_values(["draw", "turn"], kind="stable", ignore_index=True)
    turns = arrays["turns"]
    states = [st for _, st in ((i, s.state) for i, s in parts) if st is not None]
    t0 = int(states[0].internal["t0"]) if states else 0
    rel = np.maximum(turns - t0, 0)
    info: dict[str, Any] = {
        "turns": [int(t) for t in turns],
        "stop_ratio": [_clean(r[1 : t + 1]) for r, t in zip(arrays["stop_ratio"], rel)],
        "win_prob": [[_clean(w) for w in arrays["win_prob"][0, : int(rel[0]) + 1]]],
    }
    state = None
    if len(states) == len(parts):
        first_st = states[0]
        state = dataclasses.replace(
            first_st,
            round=max(st.round for st in states),
            positions=place([st.positions for st in states]),
            rounds=place([st.rounds for st in states]),
            stopped=place([st.stopped for st in states]),
            internal={
                **first_st.internal,
                **{
                    k: place([st.internal[k] for st in states])
                    for k in ("x", "ideals", "first_change", "active", "turns", "converged")
                },
            },
        )
    return Solution(
        outcomes=place([s.outcomes for _, s in parts]),
        trajectory=place([pad(s.trajectory) for _, s in parts]),
        status=place([s.status for _, s in parts]),
        rounds=place([s.rounds for _, s in parts]),
        tables=tables,
        arrays=arrays,
        info=info,
        state=state,
    )


def solution_from_run(arrays: ScenarioArrays, res: dict[str, Any]) -> Solution:
    """Package a :func:`simulate` result as a detente :class:`Solution` on each issue's own scale."""
    lo, hi = arrays.lower, arrays.upper
    pos01 = res["positions"]
    held = arrays.mask[:, None]  # no position where the actor holds no stance
    traj = np.where(held, lo + pos01 * (hi - lo), np.nan)
    B, T1, N, D = traj.shape
    wp = res["win_prob"]
    outcomes = lo + res["outcome"] * (hi - lo)
    status = np.where(res["converged"][:, None], "converged", "max_rounds").astype(object)
    status = np.broadcast_to(status, (B, D)).copy()
    status[~arrays.mask.any(axis=1)] = "no_stances"
    rounds = np.broadcast_to(res["turns"][:, None], (B, D)).copy()
    moves, proposals = _tables(arrays, res)
    rel = np.maximum(res["turns"] - res.get("t0", 0), 0)  # turns within this run's rows
    info: dict[str, Any] = {
        "turns": [int(t) for t in res["turns"]],
        "stop_ratio": [_clean(r[1 : t + 1]) for r, t in zip(res["stop_ratio"], rel)],
        "win_prob": [[_clean(w) for w in wp[b, : rel[b] + 1]] for b in range(min(B, 1))],
    }
    return Solution(
        outcomes=outcomes,
        trajectory=traj,
        status=status,
        rounds=rounds,
        tables={"moves": moves, "proposals": proposals},
        arrays={
            "win_prob": wp,
            "stop_ratio": res["stop_ratio"],
            "risk": res["risk"],
            "ideals": np.where(held, lo + res["ideals"] * (hi - lo), np.nan),
            "turns": res["turns"],
        },
        info=info,
        state=_run_state(arrays, res),
    )


def _run_state(arrays: ScenarioArrays, res: dict[str, Any]) -> RunState:
    """The :class:`RunState` of a :func:`simulate` run on ``arrays``' actors (positions back on the scales)."""
    st = res["state"]
    lo, hi = arrays.lower, arrays.upper
    B, D = arrays.batch, arrays.n_issues
    turns = np.asarray(st["turns"])
    return RunState(
        model="spatial",
        actors=arrays.actors,
        issues=arrays.issues,
        round=int(st["turn"]),
        positions=np.where(arrays.mask, lo + st["x"] * (hi - lo), np.nan),
        rounds=np.broadcast_to(turns[:, None], (B, D)).copy(),
        stopped=np.broadcast_to(~np.asarray(st["active"])[:, None], (B, D)).copy(),
        internal={
            **{k: st[k] for k in ("x", "ideals", "first_change", "active", "turns", "converged")},
            "t0": int(res.get("t0", 0)),
            "actors": arrays.actors,
        },
    )


def _clean(a: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, float)]


def _tables(arrays: ScenarioArrays, res: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``moves``: one row per turn and actor — the bargain it took (or the status quo), the partner, why;
    ``proposals``: one row per challenge made (initiator, target, expected gain, estimated P(win))."""
    import pandas as pd

    actors = np.asarray(arrays.actors, dtype=object)
    span = arrays.upper - arrays.lower
    pos = res["positions"]
    N = len(actors)
    mv: list[pd.DataFrame] = []
    pr: list[pd.DataFrame] = []
    for rec in res["records"]:
        t = rec["turn"]
        draws = np.asarray(rec["draws"])
        R = len(draws)
        tgt = rec["target"]  # (R, N)
        who = np.broadcast_to(np.arange(N), (R, N))
        dr = np.broadcast_to(draws[:, None], (R, N))
        has = tgt >= 0
        pr.append(
            pd.DataFrame(
                {
                    "draw": dr[has],
                    "turn": t,
                    "initiator": actors[who[has]],
                    "target": actors[tgt[has]],
                    "gain": rec["gain"][has],
                    "p_win": rec["p_win"][has],
                }
            )
        )
        m = rec["choice_prop"]  # proposer of the chosen bargain, -1 = status quo
        took = m >= 0
        mm = np.where(took, m, 0)
        rcv = np.take_along_axis(tgt, mm, axis=1)
        rcv = np.where(took, rcv, 0)
        t0 = res.get("t0", 0)  # the turn ``positions`` start at (a continued run)
        delta = (pos[draws, t - t0] - pos[draws, t - t0 - 1]) * span
        shift = np.sqrt(np.sum(delta * delta, axis=-1))
        own = took & (mm == who)
        none = np.full((R, N), None, dtype=object)
        ini_name = np.where(took, actors[mm], none)
        rcv_name = np.where(took, actors[rcv], none)
        mv.append(
            pd.DataFrame(
                {
                    "draw": dr.ravel(),
                    "turn": t,
                    "actor": actors[who].ravel(),
                    "moved": (took & (shift > 0)).ravel(),
                    "bargain": np.where(took, ini_name.astype(str) + " -> " + rcv_name.astype(str), none).ravel(),
                    "initiator": ini_name.ravel(),
                    "receiver": rcv_name.ravel(),
                    "partner": np.where(took, np.where(own, rcv_name, ini_name), none).ravel(),
                    "via": np.where(took, np.where(own, "own proposal", "accepted proposal"), "status quo").ravel(),
                    "p_win": np.where(took, np.take_along_axis(rec["p_win"], mm, axis=1), np.nan).ravel(),
                    "choice_prob": rec["choice_prob"].ravel(),
                    "queue_len": rec["queue_len"].ravel(),
                    "shift": shift.ravel(),
                }
            )
        )
    cols_mv = [
        "draw",
        "turn",
        "actor",
        "moved",
        "bargain",
        "initiator",
        "receiver",
        "partner",
        "via",
        "p_win",
        "choice_prob",
        "queue_len",
        "shift",
    ]
    cols_pr = ["draw", "turn", "initiator", "target", "gain", "p_win"]
    moves = pd.concat(mv, ignore_index=True) if mv else pd.DataFrame(columns=cols_mv)
    props = pd.concat(pr, ignore_index=True) if pr else pd.DataFrame(columns=cols_pr)
    for col in ("actor", "bargain", "initiator", "receiver", "partner", "via"):  # one dtype however it was built
        moves[col] = moves[col].astype(object).where(moves[col].notna(), None)
    for col in ("initiator", "target"):
        props[col] = props[col].astype(object)
    return moves.sort_values(["draw", "turn"], kind="stable", ignore_index=True), props.sort_values(
        ["draw", "turn"], kind="stable", ignore_index=True
    )
