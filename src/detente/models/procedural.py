"""Procedural (agenda-setter) models of EU legislation in one dimension: the reference point's win-set under the
Council's voting rule, the Parliament's veto under codecision, and the Commission's proposal within them.

Each issue is one dimension with symmetric single-peaked preferences (an actor prefers y to the reference point q
iff |y − x_i| < |q − x_i|). The papers:

- Steunenberg, B. (1994), "Decision making under different institutional arrangements: legislation by the European
  Community", *Journal of Institutional and Theoretical Economics* 150(4): the Commission as agenda setter, the
  Council adopting its proposal by qualified majority or amending it by unanimity.
- Tsebelis, G. & Garrett, G. (2000), "Legislative politics in the European Union", *European Union Politics* 1(1):
  the consultation and codecision games; under codecision the Parliament is a veto player beside the Council.
- Crombez, C. (1996), "Legislative procedures in the European Community", *British Journal of Political Science*
  26(2): the same logic for consultation; the Council's unanimity core bounds what survives amendment.
- Thomson, R., Stokman, F. N., Achen, C. H. & König, T., eds. (2006), *The European Union Decides*, Cambridge UP
  (ch. 5, Steunenberg & Selck; ch. 10): such procedural models compared with the compromise model on DEU.

**Council win-set.** The member states that take part (a position and a salience above 0) vote with weights v_i
(their capabilities: under DEU's ``vote-weights`` rule, the treaty's vote weights); a qualified majority needs a
share Q of the weight of those taking part (the treaty's quota over its total, e.g. 62/87 for EU-15; Q = 1 under
unanimity). With the positions sorted, the Council's Q-core is [L, R]:

    R = min{ y : Σ_{x_i ≤ y} v_i ≥ Q Σ v_i },     L = max{ y : Σ_{x_i ≥ y} v_i ≥ Q Σ v_i }

A point y > q beats q for the members with x_i ≥ (q + y)/2, a qualified majority iff (q + y)/2 ≤ L. So the closed
(weak-preference) win-set of q is

    W_C(q) = [q, 2L − q]  if q < L;   [2R − q, q]  if q > R;   {q}  if L ≤ q ≤ R  (q in the core: gridlock)

**Parliament.** Under codecision (COD) the Parliament, a unitary actor at its position p (its majority's), must also
prefer the act to q: W_P(q) = [min(q, 2p − q), max(q, 2p − q)]. The acceptable set is W(q) = W_C(q) ∩ W_P(q) (both
contain q, so it is never empty); under consultation (CNS) W(q) = W_C(q).

**The setter's proposal.** The Commission (agenda setter, position c) proposes its most preferred point that is
accepted and not amended: under CNS the Council can amend by unanimity, so the proposal stays in the Council's
Pareto set [min x_i, max x_i]; under COD the Council and the Parliament can agree on another text in conciliation,
so it stays in their Pareto set [min(L, p), max(R, p)]. The forecast is c clipped to W(q) ∩ that set (an interval,
never empty: it contains L or R, or q where q is in the core). Nothing is fitted.

Fallbacks (documented in ``docs/procedural.md``): no reference point ⇒ no win-set, only the Pareto set binds; no
Commission position ⇒ the setter's point is the Council's weighted median (its Q = ½ core) within the same set; no
Parliament position under COD ⇒ the Council alone; no member state taking part ⇒ the Council's constraints drop out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from detente.scenario.arrays import ScenarioArrays

if TYPE_CHECKING:
    from detente.scenario.deu import DeuProposal

QUANTILE_RTOL = 1e-9  # cumulated weight within this share of the quota counts as reaching it (rounding of weights)
DEFAULT_QUOTA = 62 / 87  # EU-15 qualified majority (Art. 205(2) TEC as amended in 1994): 62 of 87 votes


def upper_pivot(x: np.ndarray, v: np.ndarray, mask: np.ndarray, quota: np.ndarray | float) -> np.ndarray:
    """R: the smallest position at or below which at least ``quota`` of the taking-part weight lies, (B, n, m) →
    (B, m); ``quota`` a scalar or one per scenario (B,). NaN where nobody with weight takes part."""
    key = np.where(mask, x, np.inf)
    order = np.argsort(key, axis=-2, kind="stable")
    xs = np.take_along_axis(key, order, axis=-2)
    cum = np.cumsum(np.take_along_axis(np.where(mask, v, 0.0), order, axis=-2), axis=-2)
    total = cum[..., -1:, :]
    q = np.broadcast_to(np.asarray(quota, float), x.shape[:1]).reshape(-1, 1, 1)
    k = np.argmax(cum >= q * total * (1.0 - QUANTILE_RTOL), axis=-2)[..., None, :]
    out = np.take_along_axis(xs, k, axis=-2)[..., 0, :]
    return np.where(total[..., 0, :] > 0, out, np.nan)


def council_core(x: np.ndarray, v: np.ndarray, mask: np.ndarray, quota: np.ndarray | float
                 ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The Council's ``quota``-core [L, R] per issue, (B, m) each (NaN where no member takes part)."""
    return -upper_pivot(-x, v, mask, quota), upper_pivot(x, v, mask, quota)


def council_winset(q: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The closed win-set [lo, hi] of the reference point ``q`` given the Council's core [lower, upper]; NaN where q
    or the core is missing."""
    with np.errstate(invalid="ignore"):
        lo = np.where(q > upper, 2 * upper - q, q)
        hi = np.where(q < lower, 2 * lower - q, q)
    bad = np.isnan(q) | np.isnan(lower) | np.isnan(upper)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def parliament_winset(q: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The closed win-set of ``q`` for a unitary actor at ``p``: [min(q, 2p − q), max(q, 2p − q)]; NaN if missing."""
    return np.fmin(q, 2 * p - q) + 0 * p, np.fmax(q, 2 * p - q) + 0 * p


def _position_of(arrays: ScenarioArrays, actor: str, present: np.ndarray) -> np.ndarray:
    """The actor's position per scenario and issue (B, m), NaN where it is absent or takes no part."""
    if actor not in arrays.actors:
        return np.full(arrays.status_quo.shape, np.nan)
    i = arrays.actors.index(actor)
    return np.where(present[:, i], arrays.position[:, i], np.nan)


def acceptable_set(
    arrays: ScenarioArrays,
    quota: np.ndarray | float,
    codecision: np.ndarray | bool,
    setter: str = "com",
    parliament: str = "ep",
    weights: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per scenario and issue (B, m): the Council's core ``core_lower``/``core_upper``, the win-set ``win_lower``/
    ``win_upper`` (the Council's, intersected with the Parliament's where ``codecision``; NaN bounds where there is no
    reference point: no win-set), the amendment-proof (Pareto) set ``pareto_lower``/``pareto_upper``, the setter's
    and the Parliament's positions (NaN where absent) and ``feasible_lower``/``feasible_upper``, the interval the
    setter proposes from (win-set ∩ Pareto set; the Pareto set alone without a reference point). ``weights``: the
    members' vote weights, (n,) or (B, n, m) (default: their capabilities)."""
    present = arrays.mask & (arrays.salience > 0)
    member = np.array([a not in (setter, parliament) for a in arrays.actors])[None, :, None]
    cmask = present & member
    vote = arrays.capability if weights is None else np.broadcast_to(_per_cell(weights), arrays.capability.shape)
    x, v = arrays.position, np.where(cmask, vote, 0.0)
    B, _, m = x.shape
    cod = np.broadcast_to(np.asarray(codecision, bool), (B,))[:, None] & np.ones((B, m), bool)
    L, R = council_core(x, v, cmask, quota)
    q = arrays.status_quo
    c, p = _position_of(arrays, setter, present), _position_of(arrays, parliament, present)
    p_cod = np.where(cod, p, np.nan)
    w_lo, w_hi = council_winset(q, L, R)
    # no member taking part: the Council does not constrain (its win-set is the whole scale)
    w_lo = np.where(np.isnan(L) & ~np.isnan(q), -np.inf, w_lo)
    w_hi = np.where(np.isnan(L) & ~np.isnan(q), np.inf, w_hi)
    p_lo, p_hi = parliament_winset(q, p_cod)
    has_p = ~np.isnan(p_cod) & ~np.isnan(q)
    w_lo, w_hi = np.where(has_p, np.fmax(w_lo, p_lo), w_lo), np.where(has_p, np.fmin(w_hi, p_hi), w_hi)
    x_lo = np.min(np.where(cmask, x, np.inf), axis=-2)
    x_hi = np.max(np.where(cmask, x, -np.inf), axis=-2)
    # Pareto set: the Council's unanimity range (CNS); the Council's core and the Parliament (COD)
    par_lo = np.where(~np.isnan(p_cod), np.fmin(L, p_cod), x_lo)
    par_hi = np.where(~np.isnan(p_cod), np.fmax(R, p_cod), x_hi)
    par_lo = np.where(np.isfinite(par_lo), par_lo, -np.inf)
    par_hi = np.where(np.isfinite(par_hi), par_hi, np.inf)
    has_q = ~np.isnan(q)
    f_lo = np.where(has_q, np.maximum(w_lo, par_lo), par_lo)
    f_hi = np.where(has_q, np.minimum(w_hi, par_hi), par_hi)
    # never empty (W contains L, R or q, all in the Pareto set); guard against rounding
    f_lo, f_hi = np.fmin(f_lo, f_hi), np.fmax(f_lo, f_hi)
    return {"core_lower": L, "core_upper": R, "win_lower": w_lo, "win_upper": w_hi, "pareto_lower": par_lo,
            "pareto_upper": par_hi, "setter": c, "parliament": p, "feasible_lower": f_lo,
            "feasible_upper": f_hi}  # fmt: skip


def _per_cell(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, float)
    return w[None, :, None] if w.ndim == 1 else w


def setter_outcome(arrays: ScenarioArrays, quota: np.ndarray | float, codecision: np.ndarray | bool,
                   setter: str = "com", parliament: str = "ep", weights: np.ndarray | None = None
                   ) -> np.ndarray:  # fmt: skip
    """The agenda setter's proposal within what is accepted and not amended, (B, m); NaN where nobody takes part.
    ``weights`` as in :func:`acceptable_set`."""
    s = acceptable_set(arrays, quota, codecision, setter, parliament, weights)
    present = arrays.mask & (arrays.salience > 0)
    member = np.array([a not in (setter, parliament) for a in arrays.actors])[None, :, None]
    cmask = present & member
    vote = arrays.capability if weights is None else np.broadcast_to(_per_cell(weights), arrays.capability.shape)
    median = upper_pivot(arrays.position, np.where(cmask, vote, 0.0), cmask, 0.5)
    start = np.where(np.isnan(s["setter"]), median, s["setter"])
    out = np.clip(start, s["feasible_lower"], s["feasible_upper"])
    # nobody in the Council and no setter: the Parliament's position, else nothing
    out = np.where(np.isnan(out), s["parliament"], out)
    return out


def proposal_rules(proposal: DeuProposal) -> tuple[float, bool]:
    """(quota, codecision) of a DEU proposal: the qualified majority's share of the Council's total vote weight in
    the treaty period of its decision date (the last weighted period, EU-28, after 2014-10-31, as the capability rule
    does), 1 under unanimity; codecision when its procedure is COD. Without a decision date: the EU-15 quota."""
    from detente.scenario.council import LISBON_START, REGIMES, regime_at

    cod = proposal.procedure == "COD"
    if proposal.voting_rule == "unanimity":
        return 1.0, cod
    date = proposal.decision_date
    if date is None:
        return DEFAULT_QUOTA, cod
    regime = regime_at(date) if date < LISBON_START else REGIMES[-1]
    return regime.quota / regime.total, cod


def council_weights(proposal: DeuProposal) -> np.ndarray:
    """The treaty's vote weight of each actor of a DEU proposal in the period of its decision (0 for the Commission
    and the Parliament), whatever capability rule the proposal was read with: the win-set needs the votes. A member
    with a position before its accession gets its weight of its first period (as the capability rules do); without
    a decision date, the EU-15 weights (members that joined later: their first period's)."""
    from detente.scenario.council import LISBON_START, REGIMES, regime_at

    date = proposal.decision_date
    regime = REGIMES[0] if date is None else regime_at(date) if date < LISBON_START else REGIMES[-1]
    out = []
    for a in proposal.scenario.actors:
        if a.id in regime.weights:
            out.append(float(regime.weights[a.id]))
        else:
            first = next((r for r in REGIMES if a.id in r.weights), None)
            out.append(0.0 if first is None else float(first.weights[a.id]))
    return np.array(out)
