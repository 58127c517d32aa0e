"""Misperception: the US exploitation rate drawn from another distribution than North Korea's prior.

By default the game has a common prior: the rate ψ at which the US political system strikes or reneges is drawn from
the Gamma distribution North Korea believes in, so the North's predictive chance of an act equals its realised
frequency (the Gamma-Poisson identity the consistency tests check). In the misperception mode the true ψ comes from
another Gamma distribution, set in the same interpretable terms as the prior: the chance that a fully disarmed North
is exploited within five years (``p60``) and the shape (``alpha_psi``). North Korea still chooses by its own prior
and updates it by Bayes' rule on what it sees (Kydd 2000, 2005), so its belief is miscalibrated: a North that fears
too much learns, from exposure without acts, that the US is safer than it thought, and one that fears too little
learns from acts. Everything North Korea chooses comes from its own dynamic programme; everything that happens
(stages, crises, war, strikes, the president's payoff) follows the true rate.

Because the true distribution is also a Gamma and the exposure Λ is the same physical quantity, the true chance of
an act given the history is again a Gamma predictive, 1 − ((β_T + Λ)/(β_T + Λ + H))^(α_T + n_x), on the same belief
grid: the forward equation stays exact. With the true distribution equal to the prior the mode is, bit for bit, the
common-prior run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from detente.errors import ParameterError
from detente.strategy.staged.priors import BY_NAME


@dataclass(frozen=True)
class Truth:
    """The true distribution of the exploitation rate: the chance that a fully disarmed North is exploited within
    five years under it, and its shape (None: the North's own shape)."""

    p60: float
    alpha_psi: float | None = None

    def check(self) -> Truth:
        lo, hi = BY_NAME["p60"].bounds
        if not (math.isfinite(self.p60) and 0 < self.p60 < 1):
            raise ParameterError(f"true exploitation risk {self.p60!r}: expected a probability strictly between 0 "
                                 "and 1 (the chance a fully disarmed North is exploited within five years)")
        if self.alpha_psi is not None:
            lo, hi = BY_NAME["alpha_psi"].bounds
            if not (math.isfinite(self.alpha_psi) and lo <= self.alpha_psi <= hi):
                raise ParameterError(f"true exploitation shape {self.alpha_psi!r}: expected a number in "
                                     f"[{lo:g}, {hi:g}] ({BY_NAME['alpha_psi'].label})")
        return self

    def gamma(self, params: dict[str, float]) -> tuple[float, float]:
        """(shape, rate) of the true Gamma distribution, by the same map as the North's prior:
        p60 = 1 − (β/(β + 60))^α."""
        a = float(params["alpha_psi"] if self.alpha_psi is None else self.alpha_psi)
        q = (1 - self.p60) ** (1 / a)
        return a, 60 * q / (1 - q)

    def same_as_prior(self, params: dict[str, float]) -> bool:
        return self.p60 == params["p60"] and (self.alpha_psi is None or self.alpha_psi == params["alpha_psi"])

    def to_dict(self, params: dict[str, float]) -> dict[str, float]:
        a, b = self.gamma(params)
        return {"true_p60": self.p60, "true_shape": a, "true_mean_rate_per_month": a / b}


def prior_mean(params: dict[str, float]) -> float:
    """The mean of North Korea's prior on ψ (acts per month of full exposure)."""
    from detente.strategy.staged.kernel import derive

    dv = derive(params)
    return dv.alpha / dv.beta


def posterior_mean_by_state(game: object) -> np.ndarray:
    """North Korea's posterior mean of ψ in every live state, (α + n_x)/(β + Λ) at the state's belief cell."""
    from detente.strategy.staged.kernel import derive

    dv = derive(game.params)  # type: ignore[attr-defined]
    sp = game.space  # type: ignore[attr-defined]
    _, _, i, nx, _ = sp.components
    lam = game.nodes[i]  # type: ignore[attr-defined]
    return np.asarray((dv.alpha + nx) / (dv.beta + lam))


__all__ = ["Truth", "posterior_mean_by_state", "prior_mean"]
