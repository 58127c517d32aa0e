"""One round of Bueno de Mesquita's expected-utility model in the array API standard: for GPUs (CuPy, PyTorch).

The same equations as :mod:`detente.models._eu_kernel` (Scholz, Calbert & Smith, "Unravelling Bueno de Mesquita's
group decision model", ICAART 2011 pp. 18-30, doi 10.5220/0003121500180030; eq. numbers are theirs), written with
the functions of the array API standard only (https://data-apis.org/array-api/2023.12/), so that one code runs on any
conforming namespace: CuPy or PyTorch on a GPU (:mod:`detente.execution.device`), and array-api-strict in the tests,
which refuses anything outside the standard.

The numpy kernel is tuned for the CPU (sorted voters and prefix sums, in-place arithmetic, summation in numpy's own
order) and stays the default, bit for bit. Here the probabilities of success are the direct sums over voters, an
(n_i, n_j, n_k) tensor per problem (a GPU does that dense work faster than it sorts), in chunks of problems that
bound the tensor's size. The numbers therefore agree with the numpy kernel's to rounding (relative 1e-12 on the
expected utilities), not bit for bit; a discrete choice that sits on a tie to rounding may differ.

Arrays are problems-first: (P, n) per actor, (P, n_i, n_j) per ordered pair.
"""

from __future__ import annotations

from typing import Any

NONE, CONFLICT, COMPROMISE, CAPITULATION = 0, 1, 2, 3  # as in _eu_kernel
SAME = 1e-9
TENSOR_ELEMENTS = 1 << 24
"""Voter tensors (problems × n³) are built in chunks of problems of at most about this many elements."""


def _probability(xp: Any, x: Any, w: Any, r: Any, R: Any, mask: Any, kind: str) -> Any:
    """P[p, i, j], challenger i's probability of prevailing over j (eq. 30/31 and its readings; see
    :func:`detente.models._eu_kernel.success_probability`), by direct sums over the voters k.

    ``r``: the float 1.0 or (P, n) risk exponents per voter (``global`` only). Pairs with an absent actor are not
    cleared (the caller masks what it derives from them).
    """
    P, n = x.shape
    wk = xp.where(mask, w, 0.0)
    step = max(1, TENSOR_ELEMENTS // max(n**3, 1))
    parts = []
    for lo in range(0, P, step):
        hi = min(P, lo + step)
        xc, wc, mc = x[lo:hi, ...], wk[lo:hi, ...], mask[lo:hi, ...]
        if kind == "global":
            # u[p, k, a] = (|x_k − x_a| / R)^{r_k}; v_k(i, j) = w_k (u_k(j) − u_k(i))
            u = xp.abs(xc[:, :, None] - xc[:, None, :]) / R[lo:hi, None, None]
            if not isinstance(r, float):
                u = u ** r[lo:hi, :, None]
            wu = wc[:, :, None] * u  # (p, k, a)
            v = wu[:, :, None, :] - wu[:, :, :, None]  # (p, k, i, j) = w_k (u_k(j) − u_k(i))
            num = xp.sum(xp.where(v > 0.0, v, 0.0), axis=1)  # (p, i, j)
            # Z = Σ_k w_k Σ_{a, b present} |u_k(a) − u_k(b)|
            both = mc[:, None, :, None] & mc[:, None, None, :]
            Z = xp.sum(xp.where(both, xp.abs(v), 0.0), axis=(1, 2, 3))
            parts.append(xp.where(Z[:, None, None] > 0.0, num / xp.where(Z > 0.0, Z, 1.0)[:, None, None], 0.0))
            continue
        xk = xc[:, None, None, :]
        a = xp.abs(xk - xc[:, None, :, None]) - xp.abs(xk - xc[:, :, None, None])  # |x_k − x_j| − |x_k − x_i|
        wa = wc[:, None, None, :] * a  # (p, i, j, k)
        support_i = xp.sum(xp.where(wa > 0.0, wa, 0.0), axis=3)
        support_j = xp.sum(xp.where(wa < 0.0, -wa, 0.0), axis=3)
        den = support_i + support_j
        top = support_i if kind == "eq31" else xp.where(support_i > support_j, support_i - support_j, 0.0)
        parts.append(xp.where(den > 0.0, top / xp.where(den > 0.0, den, 1.0), 0.0))
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=0)


def risk_exponents(xp: Any, sec: Any, mask: Any) -> Any:
    """Eqs. 32-34: r_i = (1 − R_i/3)/(1 + R_i/3), R_i = (2 Sec_i − max − min)/(max − min); (P, n) → (P, n)."""
    anyone = xp.any(mask, axis=1)
    hi = xp.where(anyone, xp.max(xp.where(mask, sec, -xp.inf), axis=1), 0.0)
    lo = xp.where(anyone, xp.min(xp.where(mask, sec, xp.inf), axis=1), 0.0)
    span = hi - lo
    ok = span > 1e-12 * xp.where(xp.abs(hi) > 1.0, xp.abs(hi), 1.0)
    Rr = xp.clip((2.0 * sec - hi[:, None] - lo[:, None]) / xp.where(ok, span, 1.0)[:, None], min=-1.0, max=1.0)
    r = (1.0 - Rr / 3.0) / (1.0 + Rr / 3.0)
    return xp.where(ok[:, None] & mask, r, 1.0)


def _challenge(xp: Any, d: Any, dmu: Any, r: Any, sal: Any, prob: Any, Q: float) -> Any:
    """Eq. 25a, elementwise (see :func:`detente.models._eu_kernel.challenge_eu`)."""
    if isinstance(r, float) and r == 1.0:
        e = 2.0 * d * (1.0 - 2.0 * sal * (1.0 - prob))
    else:
        A = xp.where(0.5 - 0.5 * d > 0.0, 0.5 - 0.5 * d, 0.0) ** r
        B = (0.5 + 0.5 * d) ** r
        e = 4.0 * ((Q * 0.5**r - A) - sal * (1.0 - prob) * (B - A))
        if Q != 1.0:
            e = e + 2.0 * (1.0 - Q)
    if Q != 1.0:
        z_b, z_w = 0.5 - 0.25 * (dmu + d), 0.5 + 0.25 * (dmu + d)
        if isinstance(r, float) and r == 1.0:
            ub, uw = 2.0 - 4.0 * z_b, 2.0 - 4.0 * z_w
        else:
            ub, uw = 2.0 - 4.0 * xp.where(z_b > 0.0, z_b, 0.0) ** r, 2.0 - 4.0 * xp.where(z_w > 0.0, z_w, 0.0) ** r
        e = e - (1.0 - Q) * xp.where(dmu < d - SAME, ub, uw)
    return e


def _pair_values(
    xp: Any, d: Any, dmu: Any, s: Any, r: Any, prob: Any, Q: float, reverse_salience: str, risk_perspective: str
) -> tuple[Any, Any]:
    """a[p, i, j] = E(i challenges j) with r_i; b[p, i, j] = E(j challenges i) with r_i ('mover') or r_j ('own')."""
    scalar = isinstance(r, float)
    r_row = r if scalar else r[:, :, None]
    r_col = r if scalar else r[:, None, :]
    a = _challenge(xp, d, dmu[:, :, None], r_row, s[:, None, :], prob, Q)
    rb = r_row if risk_perspective == "mover" else r_col
    sb = s[:, :, None] if reverse_salience == "target" else s[:, None, :]
    b = _challenge(xp, d, dmu[:, None, :], rb, sb, xp.permute_dims(prob, (0, 2, 1)), Q)
    return a, b


def play_round(
    xp: Any,
    x: Any,
    w: Any,
    s: Any,
    mask: Any,
    R: Any,
    median: Any,
    *,
    p_success: str,
    reverse_salience: str,
    risk_perspective: str,
    Q: float,
    offer_selection: str,
    conflict: str,
    zero: float,
    capitulation: str = "full_move",
    same: float = SAME,
) -> tuple[Any, Any, Any, Any]:
    """One round for (P, n) problems on namespace ``xp``: (x_new, kind, j, r), as
    :func:`detente.models._eu_kernel.play_round` (the same options, the same meaning)."""
    P, n = x.shape
    diff = x[:, None, :] - x[:, :, None]  # x_j − x_i
    dist = xp.abs(diff)
    d = dist / R[:, None, None]
    dmu = xp.abs(x - median[:, None]) / R[:, None]
    on = x.device  # arrays made here live where the inputs do (PyTorch does not mix CPU and GPU arrays)
    eye = xp.eye(n, dtype=xp.bool, device=on)
    pair = mask[:, :, None] & mask[:, None, :] & ~eye[None, :, :]
    # first pass (r = 1): security levels Sec_i = Σ_{j≠i} E^j(U_ji), then the risk exponents (eqs. 32-34)
    prob1 = _probability(xp, x, w, 1.0, R, mask, p_success)
    _, b1 = _pair_values(xp, d, dmu, s, 1.0, prob1, Q, reverse_salience, "own")
    r = risk_exponents(xp, xp.sum(xp.where(pair, b1, 0.0), axis=2), mask)
    prob = _probability(xp, x, w, r, R, mask, p_success) if p_success == "global" else prob1
    a, b = _pair_values(xp, d, dmu, s, r, prob, Q, reverse_salience, risk_perspective)
    a, b = xp.where(pair, a, 0.0), xp.where(pair, b, 0.0)
    # classify every pair from i's view (Scholz §6.1, fig. 6): 1 conflict, 2 compromise, 3 capitulation, 4 none
    if same > 0:
        spread = xp.max(xp.where(mask, x, -xp.inf), axis=1) - xp.min(xp.where(mask, x, xp.inf), axis=1)
        valid = dist > same * xp.where(xp.isfinite(spread), spread, 0.0)[:, None, None]
    else:
        valid = dist > 0.0
    valid = valid & pair
    lower_hand = valid & (b > zero) & (a < -zero)
    is_comp = (b >= -a) & lower_hand
    one, zero_i = xp.asarray(1, dtype=xp.int8, device=on), xp.asarray(0, dtype=xp.int8, device=on)
    rank = (
        4 - xp.where(is_comp, one, zero_i) - xp.where(is_comp if capitulation == "no_move" else lower_hand, one, zero_i)
    )
    if conflict != "no_move":
        rank = rank - 3 * xp.where((b > a) & (a > zero) & valid, one, zero_i)
    # eq. 36: the step toward the proposer, |a/b| of the way for compromises, all the way otherwise
    frac = xp.where(is_comp, -a / xp.where(is_comp, b, 1.0), 1.0)
    step = diff * frac
    move = xp.abs(step)
    if offer_selection == "most_enforceable":
        key1 = xp.where(rank < 4, -b, xp.inf)
        key = xp.where(key1 <= xp.min(key1, axis=2, keepdims=True), move, xp.inf)
    else:
        cand = rank == xp.min(rank, axis=2, keepdims=True)
        if offer_selection == "scholz_code":
            wavg = x[:, :, None] + diff * xp.where(is_comp, b / xp.where(is_comp, b - a, 1.0), 0.0)
            key = xp.where(cand, xp.where(is_comp, wavg, move), xp.inf)
        else:
            key = xp.where(cand, move, xp.inf)
    jj = xp.argmin(key, axis=2)  # the first minimum, as numpy's argmin
    pick = xp.arange(n, device=on)[None, None, :] == jj[:, :, None]  # one entry per (p, i)
    k = xp.sum(xp.where(pick, rank, zero_i), axis=2)
    chosen = k < 4
    x_j = xp.sum(xp.where(pick, x[:, None, :], 0.0), axis=2)
    target = xp.where(k == 2, x + xp.sum(xp.where(pick, step, 0.0), axis=2), x_j)  # a full move lands on x_j
    new = xp.where(chosen, target, x)
    kind = xp.where(chosen, k, zero_i)
    return new, kind, xp.where(chosen, jj, -1), r


PAIR_ELEMENTS = 1 << 25
"""Problems per call on a device: pairwise arrays (problems × n²) of at most about this many elements."""


def play_round_on(backend: Any, x: Any, w: Any, s: Any, mask: Any, R: Any, median: Any, **opts: Any) -> tuple[Any, ...]:
    """:func:`play_round` on a :class:`detente.execution.device.Backend`, numpy arrays in and out (the round loop
    stays on the host; the pairwise arrays, the bulk of the work, live on the device)."""
    import numpy as np

    xp = backend.xp
    dev = [backend.asarray(np.ascontiguousarray(v)) for v in (x, w, s, mask, R, median)]
    new, kind, j, r = play_round(xp, *dev, **opts)
    out = [backend.to_numpy(v) for v in (new, kind, j, r)]
    return out[0].astype(np.float64), out[1].astype(np.int8), out[2].astype(np.intp), out[3].astype(np.float64)
