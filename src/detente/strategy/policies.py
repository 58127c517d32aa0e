"""US policies the engine compares (docs/strategy.md), as small classes in the style of the Axelrod library.

A policy fixes, for every parameter point of a batch, what the US offers: the cumulative relief R_k paid at stage k,
which stage transitions it accepts in which month (and with what probability, for the Hanoi-type small deal), how many
exchanges N has seen honoured on the way to stage k (for N's Bayesian belief rho_j), and flags for the variants
(trust switch, ROK signal, missile defence). North Korea's reply is computed by :mod:`detente.strategy.dp`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.errors import UnknownNameError
from detente.strategy.params import ParamBatch


class Policy:
    """Base class. Subclasses set ``name``, ``summary`` and override :meth:`relief` / :meth:`availability`."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    source: ClassVar[str] = ""
    family: ClassVar[str] = ""  # "aon" or "sfs": which side of the claim (c) comparison the policy is on
    trust_switch: ClassVar[bool] = False
    rok_signal: ClassVar[bool] = False
    missile_defence: ClassVar[bool] = False
    grit: ClassVar[bool] = False

    # --- what the US pays ------------------------------------------------------------------------------------------
    def relief(self, pb: ParamBatch) -> np.ndarray:
        """Cumulative relief R_k in [0, 1] at each stage, shape (B, K+1)."""
        raise NotImplementedError

    def exchanges(self, K: int) -> np.ndarray:
        """Honoured exchanges N has seen on the way to stage k (j in rho_j, Bayes' rule), shape (K+1,)."""
        return np.arange(K + 1)

    def availability(self, pb: ParamBatch) -> np.ndarray:
        """avail[b, t, k, k'] in [0, 1]: chance the US accepts the move k -> k' in month t (0 = not on offer).

        At most one move per stage may have a chance strictly between 0 and 1 (the DP enumerates its two cases).
        """
        raise NotImplementedError

    # --- variant effects -------------------------------------------------------------------------------------------
    def e_bmd(self, pb: ParamBatch) -> np.ndarray:
        """Missile-defence discount on N's coercive value, shape (B,)."""
        return pb.e_BMD * float(self.missile_defence)

    def threat_multiplier(self, pb: ParamBatch) -> np.ndarray:
        """Multiplier on the US threat/exercise rate (Powell 2003's 'pressing harder' under missile defence)."""
        return 1.0 + pb.bmd_press * self.e_bmd(pb)

    def describe(self) -> dict[str, str]:
        return {"name": self.name, "summary": self.summary, "source": self.source, "family": self.family}


def _steps(pb: ParamBatch) -> np.ndarray:
    K, T = pb.K, pb.T
    a = np.zeros((pb.B, T, K + 1, K + 1))
    a[:, :, np.arange(K), np.arange(1, K + 1)] = 1.0
    return a


class AllOrNothing(Policy):
    """All-or-nothing, "capitulation before relief": R_k = 0 for k < K, R_K = 1; N can only jump to CVID in one
    exchange (the "big deal" paper handed over at Hanoi; Bolton's "Libya model"). Fearon 1995."""

    name = "aon"
    summary = "all-or-nothing: full relief only for CVID in one exchange"
    source = "US 'big deal' paper handed over at Hanoi, 2019-02-28 (Reuters, 2019-03-30)"
    family = "aon"

    def relief(self, pb: ParamBatch) -> np.ndarray:
        R = np.zeros((pb.B, pb.K + 1))
        R[:, -1] = 1.0
        return R

    def exchanges(self, K: int) -> np.ndarray:
        return (np.arange(K + 1) == K).astype(int)

    def availability(self, pb: ParamBatch) -> np.ndarray:
        a = np.zeros((pb.B, pb.T, pb.K + 1, pb.K + 1))
        a[:, :, np.arange(pb.K), pb.K] = 1.0
        return a


class AllOrNothingDeadline(AllOrNothing):
    """All-or-nothing with a deadline: inside the pre-election window the US accepts a Hanoi-type
    small deal (stage ``small_stage`` for ``small_relief``) with probability ``pi_small`` each month; from the small
    deal N may still move to CVID. Simsek & Yildiz 2016; the Hanoi counterfactual (Sigal 2019)."""

    name = "aon-deadline"
    summary = "all-or-nothing, but a small deal (Yongbyon for partial relief) may be accepted before the election"
    source = "Sigal 2019; the DPRK offer at Hanoi, 2019-02-28"

    def relief(self, pb: ParamBatch) -> np.ndarray:
        R = super().relief(pb)
        R[:, pb.small_stage] = pb.small_relief
        return R

    def exchanges(self, K: int) -> np.ndarray:
        # 0 exchanges at stages below the small deal, then one per accepted deal (small, then CVID)
        j = np.zeros(K + 1, int)
        j[-1] = 1
        return j

    def availability(self, pb: ParamBatch) -> np.ndarray:
        a = super().availability(pb)
        lo = max(0, pb.t_E - pb.window)
        a[:, lo : pb.t_E, : pb.small_stage, pb.small_stage] = pb.pi_small[:, None, None]
        return a


class AllOrNothingMissileDefence(AllOrNothing):
    """All-or-nothing plus a missile-defence build-up (Fort Greely; the 'What's Next' op-ed, Dec 2019, claim d). Missile defence lowers N's
    coercive value of the arsenal by ``e_BMD`` but, per Powell (2003), the US presses harder: the threat/exercise rate
    rises by ``bmd_press * e_BMD`` and the US's expected war cost in the Fearon risk-return formula falls to
    c_U (1 - e_BMD), which raises P(war | crisis)."""

    name = "aon-bmd"
    summary = "all-or-nothing with a missile-defence build-up (less coercive value for N; the US presses harder)"
    source = "Powell 2003; the 'What's Next' op-ed, Dec 2019 (Fort Greely)"
    missile_defence = True


class StepForStep(Policy):
    """Step-for-step, "action for action" (the 2007 Six-Party steps): N advances one stage per exchange and the US
    delivers the tranche R_k; an observed violation (monitoring noise eps) snaps relief back, forgiven with
    probability g each month (generous tit-for-tat, Wu & Axelrod 1995; Nowak & Sigmund 1992). This class uses the
    rising-stakes schedule ``R`` of the parameter table (starting small: Watson 2002; Hua & Watson 2022)."""

    name = "sfs-screen"
    summary = "step-for-step with the rising-stakes (screening) relief schedule of the parameter table"
    source = "Watson 2002; Hua & Watson 2022; Six-Party Initial Actions 2007"
    family = "sfs"

    def relief(self, pb: ParamBatch) -> np.ndarray:
        return pb.R.copy()

    def availability(self, pb: ParamBatch) -> np.ndarray:
        return _steps(pb)


class StepForStepLinear(StepForStep):
    """Step-for-step with a linear relief schedule R_k = k/K (linear)."""

    name = "sfs-linear"
    summary = "step-for-step with linear relief R_k = k/K"
    source = "Watson 2002 (a linear schedule)"

    def relief(self, pb: ParamBatch) -> np.ndarray:
        return np.broadcast_to(np.linspace(0, 1, pb.K + 1), (pb.B, pb.K + 1)).copy()


class StepForStepFront(StepForStep):
    """Step-for-step with front-loaded relief R_k = 1 - (1 - k/K)^2 (large early rewards). Downs & Rocke
    (1990): a large early gesture is rarely affordable for the side that risks exploitation."""

    name = "sfs-front"
    summary = "step-for-step with front-loaded relief R_k = 1 - (1 - k/K)^2"
    source = "Downs & Rocke 1990"

    def relief(self, pb: ParamBatch) -> np.ndarray:
        x = np.linspace(0, 1, pb.K + 1)
        return np.broadcast_to(1 - (1 - x) ** 2, (pb.B, pb.K + 1)).copy()


class GRIT(StepForStep):
    """GRIT (Osgood 1962): the US moves first with a small unilateral step, relief ``grit_relief`` at stage 0 kept
    even without reciprocation, then step-for-step on the rising-stakes schedule. N counts the unilateral step as an
    honoured exchange in its belief about US reliability (Kydd 2000's reassurance by costly signal)."""

    name = "grit"
    summary = "GRIT: unilateral first relief step, then step-for-step"
    source = "Osgood 1962; Kydd 2000"
    grit = True

    def relief(self, pb: ParamBatch) -> np.ndarray:
        R = pb.R.copy()
        return np.maximum(R, pb.grit_relief[:, None])

    def exchanges(self, K: int) -> np.ndarray:
        return np.arange(K + 1) + 1


class StepForStepTrust(StepForStep):
    """Step-for-step with a trust switch: the US reverts to all-or-nothing once its belief mu_t that N is a
    security-seeker falls below Kydd's threshold c / (1 - t + c) (Kydd 2000, 2005)."""

    name = "sfs-trust"
    summary = "step-for-step that reverts to all-or-nothing when US trust falls below Kydd's threshold"
    source = "Kydd 2000, 2005"
    trust_switch = True


class StepForStepTrustROK(StepForStepTrust):
    """The trust-switch policy with South Korea as mediator: a monthly ROK report about N's type with precision
    ``tau_rok`` and war-averse bias ``rok_bias`` updates mu_t (Kydd 2003, 2006: a biased mediator is less
    informative; claim b (i))."""

    name = "sfs-trust-rok"
    summary = "trust-switch step-for-step with a South Korean signal about N's type"
    source = "Kydd 2003, 2006; claim (b)(i)"
    rok_signal = True


class StepForStepROK(StepForStep):
    """Step-for-step with South Korean side payments: ``rok_side`` is added to relief at every stage >= 1 without
    US concessions (inter-Korean projects; claim b (ii))."""

    name = "sfs-rok"
    summary = "step-for-step plus South Korean side payments at every stage"
    source = "claim (b)(ii); Pyongyang Joint Declaration 2018-09-19"

    def relief(self, pb: ParamBatch) -> np.ndarray:
        R = pb.R.copy()
        R[:, 1:] = np.minimum(1.0, R[:, 1:] + pb.rok_side[:, None])
        return R


POLICIES: dict[str, type[Policy]] = {
    cls.name: cls
    for cls in (
        AllOrNothing,
        AllOrNothingDeadline,
        AllOrNothingMissileDefence,
        StepForStep,
        StepForStepLinear,
        StepForStepFront,
        GRIT,
        StepForStepTrust,
        StepForStepTrustROK,
        StepForStepROK,
    )
}


def get_policy(name: str | Policy) -> Policy:
    """A policy by name (``aon``, ``sfs-screen``, ...)."""
    if isinstance(name, Policy):
        return name
    try:
        return POLICIES[name]()
    except KeyError:
        raise UnknownNameError(f"unknown policy {name!r}; expected one of {', '.join(POLICIES)}") from None
