"""Sign maps: where in the prior four policy effects hold, as maps over two assumptions each.

Each effect is a difference of exact election-time metrics (the forward equation, no sampling) between two rules,
computed on a square of prior quantiles of two parameters (every other parameter at its central value). The axes are
prior quantiles, so every cell carries the same prior mass of the two parameters and the area of a sign region is its
prior probability given the others at their centres.

The four effects and why these two parameters (chosen by mechanism; each pair is where the sign turns):

* (a) added interceptors (B = 1) on the chance of a freeze or more by the election, under the step-for-step rule
  `sfs-freeze` (under `hanoi` almost no North freezes, so the effect there is below 1e-3 everywhere): the prior fear
  of exploitation p60 and the steepness of temptation κ_x, which together set how much more dangerous disarming
  becomes when interceptors neutralise part of the deterrent (Powell 2003, channel 2), against the arsenal's lower
  coercive value (channel 1);
* (b) explicit threats (θ = 2 for short-range and strategic tests) against none, on the chance of a crisis by the
  election, under `hanoi`: the president's cost of a crisis w_C, which sets how readily he escalates, and North
  Korea's cost of a crisis C_N, which sets how much the threat deters (Fearon 1994);
* (c) `sfs-freeze` against `hanoi` on the chance of a freeze or more by the election, and (d) South Korean payments
  of 0.05 bite-months a month from the freeze against none, under `sfs-freeze`: the mean value of a test campaign μ_τ
  (its pre-fit prior, N(−1.5, 1)) and the median value of the deterrent m_v, which decide whether a freeze is worth
  anything to the North.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from detente.strategy.staged import priors
from detente.strategy.staged.forward import Forward, forward
from detente.strategy.staged.game import Calendar, Grid, make_game
from detente.strategy.staged.rules import PRESETS, Phase, Rule

TOL = 1e-3  # a difference smaller than this counts as no effect
QUANTILES = (0.01, 0.99)


@dataclass(frozen=True)
class Effect:
    key: str
    words: str  # what "holds" means, in plain words
    rules: tuple[Phase, Phase]  # (with, without)
    metric: str  # "freeze" (reached(2, election)) or "crisis" (crisis at least once by the election)
    sign: int  # +1: the effect holds where with − without > TOL; −1: where it is < −TOL
    x: str
    y: str


_H = PRESETS["hanoi"].phase1
_S = PRESETS["sfs-freeze"].phase1
EFFECTS: tuple[Effect, ...] = (
    Effect("a", "added interceptors raise the chance of a freeze or more (under sfs-freeze)",
           (dataclasses.replace(_S, B=1), _S), "freeze", +1, "p60", "kappa_x"),
    Effect("b", "explicit threats lower the chance of a crisis (under hanoi)",
           (dataclasses.replace(_H, theta_SR=2, theta_ST=2), dataclasses.replace(_H, theta_SR=0, theta_ST=0)),
           "crisis", -1, "w_C", "C_N"),
    Effect("c", "sfs-freeze beats hanoi on the chance of a freeze or more", (_S, _H), "freeze", +1, "mu_tau", "m_v"),
    Effect("d", "South Korean payments (0.05 a month from the freeze) raise the chance of a freeze or more",
           (dataclasses.replace(_S, P_K=0.05), _S), "freeze", +1, "mu_tau", "m_v"),
)
BY_KEY = {e.key: e for e in EFFECTS}


def axis(name: str, n: int) -> np.ndarray:
    """``n`` values of a parameter at equally spaced prior quantiles from 1 % to 99 %."""
    return np.asarray(priors.BY_NAME[name].dist.ppf(np.linspace(*QUANTILES, n)), dtype=float)


@dataclass
class SignMap:
    effect: Effect
    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray  # (len(ys), len(xs)): with − without

    @property
    def holds(self) -> np.ndarray:
        return self.effect.sign * self.values > TOL

    def share_holds(self) -> float:
        return float(self.holds.mean())


def _metric(fw: Forward, metric: str, t: int) -> float:
    return float(fw.reached[t, 2] if metric == "freeze" else fw.crisis_ever[t])


def sign_map(effect: Effect | str, n: int = 9, grid: Grid | None = None,
             progress: Callable[[], None] | None = None) -> SignMap:
    """The effect on an ``n`` × ``n`` square of prior quantiles of its two parameters (exact; deterministic)."""
    eff = BY_KEY[effect] if isinstance(effect, str) else effect
    grid = grid or Grid(8, 2, 6)
    t_e = Calendar().election
    xs, ys = axis(eff.x, n), axis(eff.y, n)
    vals = np.zeros((n, n))
    for iy, yv in enumerate(ys):
        for ix, xv in enumerate(xs):
            ov = priors.check({eff.x: float(xv), eff.y: float(yv)})
            out = []
            for ph in eff.rules:
                fw = forward(make_game(Rule("r", ph), ov, grid=grid), t_e + 1, light=eff.metric == "freeze")
                out.append(_metric(fw, eff.metric, t_e))
            vals[iy, ix] = out[0] - out[1]
            if progress is not None:
                progress()
    return SignMap(eff, xs, ys, vals)


__all__ = ["BY_KEY", "EFFECTS", "QUANTILES", "TOL", "Effect", "SignMap", "axis", "sign_map"]
