"""The US rule family: what relief is paid for which stage, how violations are punished, threats, exercises,
missile defence, a unilateral opening step and South Korean payments; optionally a second phase from a switch month.

A rule is data. ``Rule.code()`` is a canonical text used for ties (the lexicographically smallest wins) and
in reports. The relief schedule is R(j) = R₁ + (1 − R₁)·((n(j) − k_min)/(5 − k_min))^ρ for n(j) ≥ k_min, R(5) = 1;
n(4+) = 4.5 (paid only with ``pay_on_start``; otherwise 4+ pays what stage 4 pays).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.errors import ParameterError, UnknownNameError
from detente.strategy.staged.space import J_LEVEL

DIMS = ("k_min", "R1", "rho_R", "pay_on_start", "g", "cover_SR", "theta_SR", "theta_ST", "x", "B", "m_G", "P_K", "k_K", "lead")
DIM_WORDS = {
    "k_min": "first stage paid (5 = all-or-nothing)",
    "R1": "share of the sanctions bite lifted by the first tranche",
    "rho_R": "shape of later tranches (below 1 front-loaded)",
    "pay_on_start": "relief paid once disarmament is agreed (before it is done)",
    "g": "monthly chance of forgiving a violation",
    "cover_SR": "short-range tests breach the agreement",
    "theta_SR": "threat level against short-range tests (0 none, 1 warnings, 2 explicit threats)",
    "theta_ST": "threat level against strategic tests",
    "x": "full US-ROK exercises (0 scaled back)",
    "B": "20 more interceptors at Fort Greely",
    "m_G": "unilateral US opening step",
    "P_K": "South Korean payments per month (bite-months)",
    "k_K": "stage from which South Korea pays",
    "lead": "who chooses the offer (0 the US, 1 South Korea under a US veto)",
}


@dataclass(frozen=True)
class Phase:
    k_min: int = 5
    R1: float | None = 0.15  # None: the North's Hanoi ask (R_H)
    rho_R: float = 1.0
    pay_on_start: int = 0
    g: float = 1 / 3
    cover_SR: int = 0
    theta_SR: int = 0
    theta_ST: int = 1
    x: int = 0
    B: int = 0
    m_G: int = 0
    P_K: float = 0.0
    k_K: int = 2
    lead: int = 0  # 1: South Korea leads (its payments are discounted by the North, US force needs its consent)

    def schedule(self, r_h: float) -> np.ndarray:
        """Share of the bite lifted at each sub-stage (length 7)."""
        r1 = r_h if self.R1 is None else self.R1
        k = self.k_min
        out = np.zeros(7)
        for idx, n in enumerate(J_LEVEL):
            if idx == 5 and not self.pay_on_start:
                n = 4.0
            if n >= 5:
                out[idx] = 1.0
            elif n >= k:
                out[idx] = r1 + (1 - r1) * ((n - k) / (5 - k)) ** self.rho_R
        return out

    def code(self) -> str:
        r1 = "RH" if self.R1 is None else f"{self.R1:.2f}"
        return (
            f"k{self.k_min} R{r1} s{self.rho_R:.2f} p{self.pay_on_start} g{self.g:.2f} c{self.cover_SR} "
            f"t{self.theta_SR}{self.theta_ST} x{self.x} B{self.B} G{self.m_G} K{self.P_K:.2f}@{self.k_K}"
        ) + (" LK" if self.lead else "")


def phase_from_code(code: str) -> Phase:
    """The phase a :meth:`Phase.code` text describes (inverse of ``code``)."""
    import re

    m = re.fullmatch(r"k(\d) R(RH|[0-9.]+) s([0-9.]+) p(\d) g([0-9.]+) c(\d) t(\d)(\d) x(\d) B(\d) G(\d) "
                     r"K([0-9.]+)@(\d)( LK)?", code.strip())
    if m is None:
        raise ParameterError(f"rule code {code[:60]!r}: expected the form 'k2 R0.15 s1.00 p0 g0.33 c1 t01 x0 B0 G0 "
                             "K0.00@2'")
    g = float(m[5])
    return Phase(k_min=int(m[1]), R1=None if m[2] == "RH" else float(m[2]), rho_R=float(m[3]),
                 pay_on_start=int(m[4]), g=1 / 3 if abs(g - 1 / 3) < 0.006 else g, cover_SR=int(m[6]),
                 theta_SR=int(m[7]), theta_ST=int(m[8]), x=int(m[9]), B=int(m[10]), m_G=int(m[11]),
                 P_K=float(m[12]), k_K=int(m[13]), lead=int(m[14] is not None))


@dataclass(frozen=True)
class Rule:
    name: str
    phase1: Phase
    t_w: int | None = None
    phase2: Phase | None = None
    meaning: str = ""

    def at(self, t: int) -> Phase:
        if self.phase2 is not None and self.t_w is not None and t >= self.t_w:
            return self.phase2
        return self.phase1

    def last(self) -> Phase:
        return self.phase2 if self.phase2 is not None else self.phase1

    def code(self) -> str:
        c = self.phase1.code()
        if self.phase2 is not None:
            c += f" | from month {self.t_w}: {self.phase2.code()}"
        return c

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "code": self.code(), "phase1": dataclasses.asdict(self.phase1)}
        if self.phase2 is not None:
            d["switch_month"] = self.t_w
            d["phase2"] = dataclasses.asdict(self.phase2)
        return d


HANOI = Phase(k_min=5, pay_on_start=0, theta_SR=0, theta_ST=1, x=0, B=0, m_G=0, P_K=0.0, cover_SR=0, g=1 / 3)
SFS = Phase(k_min=2, R1=0.15, rho_R=1.0, g=1 / 3, cover_SR=1, theta_SR=0, theta_ST=1, x=0, B=0)
PRESETS: dict[str, Rule] = {
    "hanoi": Rule("hanoi", HANOI, meaning="relief only for complete disarmament; short-range tests played down"),
    "aon-threats": Rule(
        "aon-threats",
        dataclasses.replace(HANOI, theta_SR=2, theta_ST=2),
        meaning="all-or-nothing with explicit threats against every test",
    ),
    "aon-bmd": Rule("aon-bmd", dataclasses.replace(HANOI, B=1), meaning="all-or-nothing plus 20 interceptors"),
    "small-deal": Rule(
        "small-deal",
        Phase(k_min=3, R1=None, rho_R=1.0, cover_SR=1),
        meaning="the North's Hanoi ask: Yongbyon for the civilian-economy sanctions",
    ),
    "sfs-freeze": Rule("sfs-freeze", SFS, meaning="relief for a verified freeze, then tranches"),
    "sfs-front": Rule("sfs-front", dataclasses.replace(SFS, rho_R=0.5), meaning="front-loaded step-for-step"),
    "grit": Rule("grit", dataclasses.replace(SFS, m_G=1), meaning="step-for-step with a unilateral opening step"),
}
# the successor's rule (after a defeat at the election): the central member of the prior over successor rules
SUCCESSOR = Rule(
    "successor",
    Phase(k_min=3, R1=0.15, theta_SR=0, theta_ST=1, x=1, cover_SR=1),
    meaning="a tougher successor: pays from Yongbyon's dismantlement, full exercises",
)


def get_rule(name: str) -> Rule:
    if name not in PRESETS:
        raise UnknownNameError(f"`rule` {name!r}: unknown rule; expected one of {', '.join(PRESETS)}")
    return PRESETS[name]


def check_phase(ph: Phase) -> Phase:
    bad: tuple[str, Any, str] | None = None
    if ph.k_min not in (2, 3, 4, 5):
        bad = ("k_min", ph.k_min, "2, 3, 4 or 5")
    elif ph.R1 is not None and not 0 <= ph.R1 <= 1:
        bad = ("R1", ph.R1, "a share in [0, 1]")
    elif not 0.3 <= ph.rho_R <= 3:
        bad = ("rho_R", ph.rho_R, "a shape in [0.3, 3]")
    elif not 0 <= ph.g <= 1:
        bad = ("g", ph.g, "a probability")
    elif not 0 <= ph.P_K <= 0.15:
        bad = ("P_K", ph.P_K, "a payment in [0, 0.15]")
    elif ph.lead not in (0, 1):
        bad = ("lead", ph.lead, "0 (the US leads) or 1 (South Korea leads)")
    elif ph.theta_SR not in (0, 1, 2) or ph.theta_ST not in (0, 1, 2):
        bad = ("theta", (ph.theta_SR, ph.theta_ST), "threat levels 0, 1 or 2")
    if bad:
        raise ParameterError(f"rule {bad[0]}={bad[1]!r}: expected {bad[2]}")
    return ph


__all__ = ["DIMS", "DIM_WORDS", "PRESETS", "SUCCESSOR", "Phase", "Rule", "check_phase", "field", "get_rule"]
