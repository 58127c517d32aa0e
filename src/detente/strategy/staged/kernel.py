"""The one transition kernel of the staged-disarmament game.

For every live state and every valid action of North Korea the kernel gives the probability of each successor state
(a sparse row) and the expected flow payoffs of the month. The dynamic programme, the exact forward equation and the
Monte Carlo all read these rows; no other code computes a transition probability.

Within a month the events run in this order:

1. stage: the target stage is reached; holding at "disarmament under way" completes it with probability 1/L5;
2. relief: a tranche falls due when the new stage earns more relief and relief is not suspended; the executive
   share is delivered and Congress lets the statutory share stand with probability π_C;
3. monitoring: open violations (exit, abort, a strategic test, a covered short-range test) and detected cheating or
   false alarms suspend relief where the rule pays; a suspension is forgiven with probability g per compliant month;
4. crisis: a covered test draws US escalation with a logit probability (audience costs, Fearon 1994), an uncovered
   one a crisis with a base rate; background incidents add crises; a crisis becomes war with Fearon's (1995)
   risk-return probability, which missile defence raises (Powell 2003);
5. exploitation: the US political system exploits (strikes or reneges) at rate ψ·H, H rising as the deterrent is
   given up (Fearon 1995; Powell 2006) and with missile defence (Powell 2003); the North's predictive probability
   under its Gamma prior on ψ (Kydd 2000, 2005) is 1 − ((β+Λ)/(β+Λ+H))^(α+n_x); exposure Λ advances by H, rounded
   to the neighbouring belief nodes with mean-preserving weights;
6. election and turnover: re-election with probability q(state) at the election month, the successor's rule from
   the inauguration (relief kept with probability η); after the horizon the rule in force switches at a small hazard.

Two choices differ from a literal reading of the design. Covert cheating recovers a share b_c of the deterrent value
given up at the current stage (b_c·v·D_j), rather than adding b_c·v: with the additive form a freeze-and-cheat
dominates the moratorium for most types whenever b_c exceeds D_2 − D_1, so a "freeze" would be chosen in order to
cheat. And a change of stage carries a one-off cost c_m (Rust's 1987 replacement cost): with logit shocks on some
twenty actions and no such cost, a North nearly indifferent between stages would wander between them month by month,
which the record (the moratorium held every month from Apr 2018 to Jan 2021) rules out.

A pooling US step (a unilateral opening step every type of US system would take) does not enter the belief: it only
scales H by (1 − ω_G) for every ψ (hands-tying, Fearon 1997), never Λ or n_x.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import expit

from detente.strategy.staged.rules import Phase
from detente.strategy.staged.space import ACTIONS, CVID_DONE, CVID_STARTED, Space


@dataclass(frozen=True)
class Derived:
    """Quantities derived from the parameters: deterrent shares, belief prior, exchange exposure."""

    D: np.ndarray
    dval: np.ndarray
    alpha: float
    beta: float
    eta_x: float
    R_H: float


def derive(p: dict[str, float]) -> Derived:
    D = np.array([0.0, p["D1"], p["D2"], max(p["D3"], p["D2"]), max(p["D4"], p["D3"], p["D2"]), 0.0, 1.0])
    D[5] = (D[4] + 1) / 2
    d = np.array([0.0, p["d1"], p["d2"], p["d3"], p["d4"], 0.0, 1.0])
    d[5] = (d[4] + 1) / 2
    a = p["alpha_psi"]
    qq = (1 - p["p60"]) ** (1 / a)
    beta = 60 * qq / (1 - qq)
    eta_x = beta * ((1 - p["p_ex"]) ** (-1 / a) - 1)
    return Derived(D=D, dval=d, alpha=a, beta=beta, eta_x=eta_x, R_H=p["sigma_UN"] * p["R_H_share"])


def baseline_exposure(p: dict[str, float], months: int = 10) -> float:
    """Exposure the North accumulated at the moratorium with no relief, Apr 2018 - Feb 2019 (10 months)."""
    dv = derive(p)
    deff = dv.D[1]
    chi = deff ** p["a_s"]
    return months * float(np.exp(-p["kappa_x"] * (1 - deff)) * chi)


@dataclass
class Kernel:
    """Sparse successor rows plus the per-row quantities the payoffs need."""

    P: sparse.csr_matrix  # rows x n_states
    P_keep: sparse.csr_matrix  # arsenal propagation (entries that reset the arsenal removed)
    P_nc: sparse.csr_matrix  # joint probability of the successor and no crisis this month
    row_s: np.ndarray
    row_k: np.ndarray
    f: dict[str, np.ndarray]


def _phase_arrays(ph_I: Phase, ph_S: Phase, is_S: np.ndarray, r_h: float) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    sched = np.stack([ph_I.schedule(r_h), ph_S.schedule(r_h)])
    out["sched"] = sched[is_S.astype(int)]
    for name in ("cover_SR", "theta_SR", "theta_ST", "x", "B", "m_G", "P_K", "k_K", "g", "lead"):
        vals = np.array([getattr(ph_I, name), getattr(ph_S, name)], dtype=float)
        out[name] = vals[is_S.astype(int)]
    return out


class _Branches:
    """Entries (row, probability, successor components) expanded event by event; zero-probability entries pruned."""

    def __init__(self, **cols: np.ndarray) -> None:
        self.c = cols

    def split(self, probs: list[np.ndarray], updates: list[dict[str, np.ndarray | float]]) -> None:
        n = self.c["prob"].shape[0]
        P = np.stack([np.broadcast_to(pr, (n,)) for pr in probs])
        b_idx, e_idx = np.nonzero(P > 0)  # branch-major, so branches follow each other as if concatenated
        bounds = np.searchsorted(b_idx, np.arange(len(probs) + 1))
        out: dict[str, np.ndarray] = {}
        for k, v in self.c.items():
            if k == "prob":
                out[k] = v[e_idx] * P[b_idx, e_idx]
                continue
            col = v[e_idx]
            for br, up in enumerate(updates):
                if k in up:
                    lo, hi = bounds[br], bounds[br + 1]
                    u = up[k]
                    col[lo:hi] = np.asarray(u)[e_idx[lo:hi]] if np.ndim(u) else u
            out[k] = col
        self.c = out


def build(
    p: dict[str, float],
    space: Space,
    nodes: np.ndarray,
    ph_I: Phase,
    ph_S: Phase,
    *,
    election: bool = False,
    inauguration: bool = False,
    stationary: bool = False,
    truth: tuple[float, float] | None = None,
) -> Kernel:
    """The month's kernel (see :func:`partial`)."""
    return partial(p, space, nodes, ph_I, ph_S, stationary=stationary, truth=truth)(election, inauguration)


def partial(
    p: dict[str, float],
    space: Space,
    nodes: np.ndarray,
    ph_I: Phase,
    ph_S: Phase,
    *,
    stationary: bool = False,
    truth: tuple[float, float] | None = None,
) -> Callable[[bool, bool], Kernel]:
    """The month's kernel up to the election and inauguration step, as a function of (election, inauguration) that
    finishes it: the events of a month before that step do not depend on the calendar, so an ordinary month, the
    election month and the inauguration month share them and are built once.

    ``truth`` = (shape, rate) of the distribution the exploitation rate is really drawn from, ``truth`` = (shape, rate) of the distribution the exploitation rate is really drawn from,
    when it differs from North Korea's prior (the misperception mode of :mod:`.misperception`): exploitation acts
    then happen at the true predictive rate given the exposure, while exposure, strikes and reneges are defined as
    before. None: the North's own prior (the common-prior default)."""
    dv = derive(p)
    jp_t, y_t, c_t, ok_t = ACTIONS.table
    sj, sr, si, snx, sa = space.components
    valid = ok_t[sj]  # (S, width)
    row_s, row_k = np.nonzero(valid)
    n_rows = row_s.size
    j, r, i, nx, a = sj[row_s], sr[row_s], si[row_s], snx[row_s], sa[row_s]
    jp, y, c = jp_t[j, row_k], y_t[j, row_k], c_t[j, row_k]
    is_S = (a == 2) | ((a == 1) & stationary)
    ph = _phase_arrays(ph_I, ph_S, is_S, dv.R_H)
    sched = ph["sched"]
    rows = np.arange(n_rows)

    # row-level event probabilities
    B = ph["B"]
    hb = p["omega_H"] * p["e_B"] * B
    p_w = p["pi_ult"] * np.maximum(0.0, (1 - p["rho_U"] * (1 - p["zeta"] * hb)) / 2)
    W_US = p["W_US0"] * (1 - p["zeta"] * hb)
    theta_y = np.where(y == 1, ph["theta_SR"], np.where(y == 2, ph["theta_ST"], 0.0))
    e_y = expit((p["G_e"] - p["w_C"] - p_w * W_US + p["A"] * theta_y) / p["sigma_P"])
    base_c = np.where(y == 1, p["p_c0_1"], np.where(y == 2, p["p_c0_2"], 0.0))
    p_prov = np.where(y >= 1, np.where(theta_y > 0, e_y, base_c), 0.0)
    p_crisis = 1 - (1 - p_prov) * (1 - p["p_cb"])
    p_back = np.where((y >= 1) & (theta_y > 0), 1 - e_y, 0.0)
    is_exit = (jp == 0) & (j >= 1)
    is_abort = (j == CVID_STARTED) & (jp == 4)

    br = _Branches(
        row=rows,
        prob=np.ones(n_rows),
        jt=jp.copy(),
        rt=r.copy(),
        nxt=nx.copy(),
        at=a.copy(),
        due=np.zeros(n_rows, dtype=np.int64),
        absb=np.zeros(n_rows, dtype=np.int64),
        cw=np.zeros(n_rows, dtype=np.int64),
        it=i.copy(),
    )
    # 1. stage: completion of disarmament
    h5 = np.where((j == CVID_STARTED) & (jp == CVID_STARTED), 1 / p["L5"], 0.0)
    br.split([1 - h5, h5], [{}, {"jt": CVID_DONE}])
    # 2. relief: a tranche falls due
    e = br.c
    R_new = sched[e["row"], e["jt"]]
    R_old = sched[e["row"], j[e["row"]]]
    due = (R_new > R_old + 1e-12) & (e["rt"] != 2)
    br.split(
        [np.where(due, p["pi_C"], 1.0), np.where(due, 1 - p["pi_C"], 0.0)],
        [{"due": due.astype(np.int64), "rt": np.where(due, 0, e["rt"])}, {"due": 1, "rt": 1}],
    )
    # 3. monitoring and punishment
    e = br.c
    er = e["row"]
    jt = e["jt"]
    open_v = (
        is_exit[er]
        | is_abort[er]
        | ((y[er] == 2) & (j[er] >= 1))
        | ((y[er] == 1) & (ph["cover_SR"][er] > 0) & (jt >= 2))
    )
    pv = np.where(open_v, 1.0, np.where(c[er] == 1, p["det"], np.where(jt >= 2, p["eps_f"], 0.0)))
    pays = sched[er, jt] > 0
    r_viol = np.where(pays, 2, e["rt"])
    susp = e["rt"] == 2
    g = ph["g"][er]
    br.split(
        [
            pv,
            (1 - pv) * np.where(susp, g * p["pi_C"], 1.0),
            (1 - pv) * np.where(susp, g * (1 - p["pi_C"]), 0.0),
            (1 - pv) * np.where(susp, 1 - g, 0.0),
        ],
        [{"rt": r_viol}, {}, {"rt": 1}, {"rt": 2}],
    )
    e = br.c
    er, jt, rt = e["row"], e["jt"], e["rt"]
    rel = sched[er, jt] * (p["sigma_UN"] + (1 - p["sigma_UN"]) * (rt == 0)) * (rt != 2)
    f: dict[str, np.ndarray] = {}
    wsum = lambda w: np.bincount(er, weights=e["prob"] * w, minlength=n_rows)  # noqa: E731
    f["rel"] = wsum(rel)
    f["one_minus_D"] = wsum(1 - dv.D[jt])
    f["k_pay"] = wsum(((jt >= ph["k_K"][er]) & (rt != 2)).astype(float))
    f["d"] = wsum(dv.dval[jt])
    # the re-election chance (read only in the election month)
    rel_pos = rel > 0
    q = np.clip(
        p["q0"] + p["dq_D"] * ((jt >= p["k_E"]) & (rt != 2) & rel_pos) - p["dq_R"] * (rel_pos & (jt < CVID_DONE)),
        0,
        1,
    )
    q = np.where(e["at"] == 0, q, 1.0)
    # 4. crisis and war
    pcw = p_crisis[er] * p_w[er]
    br.c["q"] = q
    br.c["rel"] = rel
    br.split([1 - pcw, pcw], [{}, {"absb": 1, "cw": 1}])
    # 5. exploitation
    e = br.c
    er, jt = e["row"], e["jt"]
    live = e["absb"] == 0
    deff = 1 - (1 - dv.D[jt]) * (1 - hb[er])
    chi = chi_all = deff ** p["a_s"]
    m_a = np.where(e["at"] == 2, p["m_S"], 1.0)
    base = np.exp(-p["kappa_x"] * (1 - deff)) * m_a * (1 - p["omega_G"] * ph["m_G"][er])
    # while Seoul leads, US force needs its consent: the strike part of the temptation term is scaled by 1 − ω_K
    # (Moon, 15 Aug 2017); reneging on relief is Washington's alone
    chi = chi * (1 - p["omega_K"] * ph["lead"][er])
    o = chi + (1 - chi_all) * (e["rel"] > 0)
    H = base * o + dv.eta_x * e["due"]
    lam = nodes[e["it"]]
    al, be = (dv.alpha, dv.beta) if truth is None else truth
    px = np.where(live & (H > 0), 1 - ((be + lam) / (be + lam + H)) ** (al + e["nxt"]), 0.0)
    strike_share = np.where(H > 0, base * chi / np.where(H > 0, H, 1.0), 0.0)
    e["H"] = H
    e["lam"] = lam
    br.split(
        [1 - px, px * strike_share, px * (1 - strike_share)],
        [{}, {"absb": np.where(jt == CVID_DONE, 2, 1)}, {"rt": 2, "nxt": 1}],
    )
    # belief rounding (mean preserving), top node absorbing
    e = br.c
    lam_new = e["lam"] + e["H"]
    n_lam = nodes.size
    k = np.clip(np.searchsorted(nodes, lam_new, side="right") - 1, 0, n_lam - 1)
    top = k >= n_lam - 1
    k1 = np.minimum(k + 1, n_lam - 1)
    wgt = np.where(top, 0.0, (lam_new - nodes[k]) / np.where(top, 1.0, nodes[k1] - nodes[k]))
    wgt = np.clip(wgt, 0.0, 1.0)
    wgt = np.where(e["absb"] == 0, wgt, 0.0)  # an absorbed entry has no belief to round
    for spent in ("lam", "H", "rel", "due"):  # no later event reads these
        del e[spent]
    br.split([1 - wgt, wgt], [{"it": k}, {"it": k1}])
    common, f_common = dict(br.c), f

    def finish(election: bool, inauguration: bool) -> Kernel:
        return _finish(common, dict(f_common), election, inauguration, stationary, p, space, dv, n_rows, rows, j, r,
                       a, jp, y, c, ph, sched, p_crisis, p_w, p_back, theta_y, W_US, is_exit, is_abort, row_s, row_k)

    return finish


def _finish(common: dict[str, np.ndarray], f: dict[str, np.ndarray], election: bool, inauguration: bool,
            stationary: bool, p: dict[str, float], space: Space, dv: Derived, n_rows: int, rows: np.ndarray,
            j: np.ndarray, r: np.ndarray, a: np.ndarray, jp: np.ndarray, y: np.ndarray, c: np.ndarray,
            ph: dict[str, np.ndarray], sched: np.ndarray, p_crisis: np.ndarray, p_w: np.ndarray,
            p_back: np.ndarray, theta_y: np.ndarray, W_US: np.ndarray, is_exit: np.ndarray, is_abort: np.ndarray,
            row_s: np.ndarray, row_k: np.ndarray) -> Kernel:
    """Step 6 (election, inauguration, post-horizon switching) and the sparse rows, from the shared entries."""
    br = _Branches(**common)
    if not election:
        del br.c["q"]
    # 6. election, inauguration, post-horizon switching
    e = br.c
    if election:
        inc = (e["at"] == 0) & (e["absb"] == 0)
        qq = np.where(inc, e["q"], 1.0)
        f["q"] = np.bincount(e["row"], weights=e["prob"] * np.where(inc, e["q"], 0.0), minlength=n_rows)
        br.split([qq, 1 - qq], [{}, {"at": 1}])
    if inauguration:
        e = br.c
        leave = (e["at"] == 1) & (e["absb"] == 0)
        f["legacy"] = np.bincount(e["row"], weights=e["prob"] * leave * dv.dval[e["jt"]], minlength=n_rows)
        keep = np.where(leave, p["eta"], 1.0)
        br.split([keep, 1 - keep], [{"at": np.where(leave, 2, e["at"])}, {"at": 2, "rt": 2}])
    if stationary:
        e = br.c
        sw = np.where(e["absb"] == 0, p["tau_inf"], 0.0)
        newa = np.where(e["at"] == 0, 2, 0)
        br.split([1 - sw, sw * p["eta"], sw * (1 - p["eta"])], [{}, {"at": newa}, {"at": newa, "rt": 2}])
    e = br.c
    er = e["row"]
    col = np.where(
        e["absb"] == 1,
        space.war,
        np.where(e["absb"] == 2, space.rc, space.index(e["jt"], e["rt"], e["it"], e["nxt"], e["at"])),
    )
    prob = e["prob"]
    shape = (n_rows, space.n_states)
    P = sparse.csr_matrix((prob, (er, col)), shape=shape)
    P.sum_duplicates()
    keep_ars = (e["absb"] == 0) & ~((j[er] < CVID_DONE) & (e["jt"] == CVID_DONE))
    P_keep = sparse.csr_matrix((prob * keep_ars, (er, col)), shape=shape)
    P_keep.eliminate_zeros()
    scale = (1 - p_crisis[er]) / (1 - p_crisis[er] * p_w[er])
    P_nc = sparse.csr_matrix((np.where(e["cw"] == 1, 0.0, prob * scale), (er, col)), shape=shape)
    P_nc.eliminate_zeros()
    strike_war = np.bincount(er, weights=prob * ((e["absb"] == 1) & (e["cw"] == 0)), minlength=n_rows)
    f["p_war"] = np.bincount(er, weights=prob * (e["absb"] == 1), minlength=n_rows)
    f["p_strike_war"] = strike_war
    f["p_rc"] = np.bincount(er, weights=prob * (e["absb"] == 2), minlength=n_rows)
    f["p_crisis"] = p_crisis
    f["open"] = (is_exit | is_abort | ((y == 2) & (j >= 1)) | ((y == 1) & (ph["cover_SR"] > 0) & (jp >= 2))).astype(
        float
    )
    f["rel_start"] = sched[rows, j] * (r != 2)
    f["r"] = r.astype(float)
    f["D_jp"] = dv.D[jp]
    f["p_back"] = p_back
    f["theta_y"] = theta_y
    f["W_US"] = W_US
    for name in ("x", "B", "m_G", "P_K", "lead"):
        f[name] = ph[name]
    # what South Korean payments are worth to the North: discounted by ϑ_K when they come through a Seoul-led process
    # (the North would rather deal with Washington alone)
    f["P_K_N"] = ph["P_K"] * np.where(ph["lead"] > 0, p["theta_K"], 1.0)
    f["y"] = y.astype(float)
    f["c"] = c.astype(float)
    f["jp"] = jp.astype(float)
    f["a"] = a.astype(float)
    f["j"] = j.astype(float)
    # reference weights: the cheating variant of a move is a nest valued by the mean of its two options, so that
    # stages where cheating is possible gain no option value from the duplicate (see detente.strategy.staged.game)
    f["w"] = np.where(jp >= 2, 0.5, 1.0)
    f["logw"] = np.log(f["w"])
    prod = np.where(jp <= 1, 1.0, np.where(jp <= 3, p["omega_u"], 0.0))
    prod = np.where((jp >= 4) & (c == 1), p["omega_c"], prod)
    f["prod"] = prod
    return Kernel(P=P, P_keep=P_keep, P_nc=P_nc, row_s=row_s, row_k=row_k, f=f)


def flow_N(
    k: Kernel, p: dict[str, float], bite: float, covid_share: float, v: np.ndarray, tau: np.ndarray, split: bool = False,
    rows: np.ndarray | None = None,
) -> np.ndarray | dict[str, np.ndarray]:
    """North Korea's expected flow payoff of each row for each type (rows x types), lumps at absorption included;
    only the given ``rows`` when these are named.

    With ``split`` the payoff components are returned separately (rows x types each), summing to the total."""
    f = k.f
    hb = p["omega_H"] * p["e_B"] * f["B"]
    test = (f["y"] >= 1).astype(float)
    if not split:
        if "base0" not in f:  # the parts that do not change month by month
            f["base0"] = (p["tau_X"] * test * f["x"] + p["Delta2"] * (f["y"] == 2) - p["c_X"] * f["x"]
                          + p["phi_G"] * f["m_G"] + f["P_K_N"] * f["k_pay"] - p["C_N"] * f["p_crisis"]
                          - p["X_W"] * f["p_war"] - p["X_RC"] * f["p_rc"] - p["c_m"] * (f["jp"] != f["j"]))
            f["coef_v"] = (1 - hb) * f["one_minus_D"] + p["b_c"] * f["c"] * f["D_jp"]
        a0 = f["base0"] - bite * (1 - f["rel"]) + test * (p["kappa_cov"] * covid_share)
        lhs = np.stack([a0, f["coef_v"], test], axis=1)
        if rows is not None:
            lhs = lhs[rows]
        rhs = np.stack([np.ones_like(v), v, tau])
        return np.asarray(lhs @ rhs)
    comp = {
        "sanctions": (-bite * (1 - f["rel"]))[:, None] + 0 * v[None, :],
        "arsenal value": ((1 - hb) * f["one_minus_D"])[:, None] * v[None, :],
        "cheating": (p["b_c"] * f["c"] * f["D_jp"])[:, None] * v[None, :],
        "changing stage": (-p["c_m"] * (f["jp"] != f["j"]))[:, None] + 0 * v[None, :],
        "testing": test[:, None] * (tau[None, :] + p["kappa_cov"] * covid_share + p["tau_X"] * f["x"][:, None])
        + (p["Delta2"] * (f["y"] == 2))[:, None],
        "exercises": (-p["c_X"] * f["x"])[:, None] + 0 * v[None, :],
        "unilateral step and payments": (p["phi_G"] * f["m_G"] + f["P_K_N"] * f["k_pay"])[:, None] + 0 * v[None, :],
        "crisis": (-p["C_N"] * f["p_crisis"])[:, None] + 0 * v[None, :],
        "war": (-p["X_W"] * f["p_war"])[:, None] + 0 * v[None, :],
        "regime change": (-p["X_RC"] * f["p_rc"])[:, None] + 0 * v[None, :],
    }
    if split:
        return comp
    return np.asarray(sum(comp.values()))


def flow_P(
    k: Kernel, p: dict[str, float], c_R: float, *, stationary: bool = False, split: bool = False
) -> np.ndarray | dict[str, np.ndarray]:
    """The president's expected flow payoff of each row (CVID-months), lumps, election and legacy terms included;
    zero once he has left office (successor rows). With ``split`` the components, summing to the total."""
    f = k.f
    in_office = ((f["a"] == 0) if stationary else (f["a"] <= 1)).astype(float)
    comp = {
        "disarmament reached": f["d"],
        "relief given": -c_R * f["rel"],
        "tests": -p["w_T"] * (f["y"] == 1) - p["w_S"] * (f["y"] == 2),
        "crises and backing down": -p["w_C"] * f["p_crisis"] - p["A"] * f["theta_y"] * f["p_back"],
        "costs of the rule": -p["c_B"] * f["B"] - p["c_G"] * f["m_G"] - p["c_XP"] * (1 - f["x"]),
        "war and regime change": -f["W_US"] * f["p_war"] + p["g_RC"] * f["p_rc"],
        "re-election": p["W_P"] * f["q"] if "q" in f else np.zeros_like(f["d"]),
    }
    comp = {key: v * in_office for key, v in comp.items()}
    comp["legacy"] = p["w_L"] * f["legacy"] if "legacy" in f else np.zeros_like(f["d"])
    if split:
        return comp
    return np.asarray(sum(comp.values()))
