"""Parameters of the staged-disarmament game as data: a prior, a central value and what its source supports.

Each entry names the parameter in plain words, its unit, its prior, the allowed range, the kind of evidence behind it
(``calendar``, ``source``, ``derived``, ``fitted``, ``assumption``) and one sentence saying exactly what the source
supports — never more. Central values are prior medians, except ``fitted`` entries, whose central value is the
maximum-likelihood estimate recorded in :mod:`detente.strategy.staged.cns` (CNS North Korea Missile Test Database).

Prior notation: ``U(a, b)`` uniform, ``LogU(a, b)`` log-uniform, ``Beta(m; a, b)`` a Beta with mean m whose 5 % and
95 % quantiles are as close as possible to a and b, ``TN(m, s; a, b)`` a normal truncated to [a, b], ``N(m, s)``
normal, ``fixed(x)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, stats

from detente.errors import ParameterError

KINDS = ("calendar", "source", "derived", "fitted", "assumption", "rule")


@dataclass(frozen=True)
class Prior:
    name: str
    label: str
    unit: str
    prior: str
    kind: str
    supports: str
    sources: tuple[str, ...] = ()
    central_override: float | None = None
    # "seoul-led": read only when South Korea leads or its payoff is asked for (the Seoul-led rule); a claim that
    # never lets Seoul lead does not vary it
    scope: str = ""

    @property
    def dist(self) -> Any:
        return _dist(self.prior)

    @property
    def central(self) -> float:
        if self.central_override is not None:
            return self.central_override
        return float(self.dist.ppf(0.5))

    @property
    def bounds(self) -> tuple[float, float]:
        d = self.dist
        lo, hi = d.support()
        if self.prior.startswith("N("):  # an unbounded fitted prior: +-8 sd
            m, s = d.mean(), d.std()
            return float(m - 8 * s), float(m + 8 * s)
        return float(lo), float(hi)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.asarray(self.dist.ppf(rng.random(n)), dtype=float)


class _Fixed:
    def __init__(self, x: float) -> None:
        self.x = x

    def ppf(self, q: Any) -> Any:
        return np.full(np.shape(q), self.x) if np.ndim(q) else self.x

    def support(self) -> tuple[float, float]:
        return self.x, self.x

    def mean(self) -> float:
        return self.x


@lru_cache(maxsize=256)
def _beta_from_mean_quantiles(m: float, a: float, b: float) -> tuple[float, float]:
    """Beta(α, β) with mean m whose 5 %/95 % quantiles are closest (squared error in logit) to a and b."""

    def loss(log_c: float) -> float:
        c = math.exp(log_c)
        d = stats.beta(m * c, (1 - m) * c)
        lg = lambda p: math.log(p / (1 - p))  # noqa: E731
        return (lg(d.ppf(0.05)) - lg(a)) ** 2 + (lg(d.ppf(0.95)) - lg(b)) ** 2

    res = optimize.minimize_scalar(loss, bounds=(math.log(0.5), math.log(2000.0)), method="bounded")
    c = math.exp(float(res.x))
    return m * c, (1 - m) * c


_NUM = r"(-?[0-9.eE+-]+)"


@lru_cache(maxsize=512)
def _dist(text: str) -> Any:
    t = text.replace(" ", "")
    if m := re.fullmatch(rf"U\({_NUM},{_NUM}\)", t):
        a, b = float(m[1]), float(m[2])
        return stats.uniform(a, b - a)
    if m := re.fullmatch(rf"LogU\({_NUM},{_NUM}\)", t):
        return stats.loguniform(float(m[1]), float(m[2]))
    if m := re.fullmatch(rf"Beta\({_NUM};{_NUM},{_NUM}\)", t):
        al, be = _beta_from_mean_quantiles(float(m[1]), float(m[2]), float(m[3]))
        return stats.beta(al, be)
    if m := re.fullmatch(rf"TN\({_NUM},{_NUM};{_NUM},{_NUM}\)", t):
        mu, sd, lo, hi = (float(m[i]) for i in range(1, 5))
        return stats.truncnorm((lo - mu) / sd, (hi - mu) / sd, loc=mu, scale=sd)
    if m := re.fullmatch(rf"N\({_NUM},{_NUM}\)", t):
        return stats.norm(float(m[1]), float(m[2]))
    if m := re.fullmatch(rf"fixed\({_NUM}\)", t):
        return _Fixed(float(m[1]))
    raise ParameterError(f"prior {text!r}: expected U(a, b), LogU(a, b), Beta(m; a, b), TN(m, s; a, b), N(m, s)")


A = "assumption"
SEOUL = "seoul-led"
_P = Prior
REGISTRY: tuple[Prior, ...] = (
    # --- stages, implementation, arsenal
    _P(
        "D1",
        "share of the deterrent given up by the test moratorium",
        "share",
        "U(0.01, 0.05)",
        A,
        "Hecker, Carlin & Serbin (2019): material for 5-7 more weapons was added in 2018 under the moratorium; "
        "supports a small share, not its value",
    ),
    _P(
        "D2",
        "share of the deterrent given up by a verified Yongbyon freeze",
        "share",
        "U(0.05, 0.15)",
        A,
        "Hanoi, 28 Feb 2019: the US said plenty would be left after Yongbyon; supports a share well below one",
    ),
    _P(
        "D3",
        "share of the deterrent given up once Yongbyon is dismantled",
        "share",
        "U(0.15, 0.25)",
        A,
        "as for the freeze; kept above it so that stages are ordered",
    ),
    _P(
        "D4",
        "share of the deterrent given up by a full declaration and inspections",
        "share",
        "U(0.25, 0.5)",
        A,
        "Coe & Vaynman (2020): the transparency verification needs threatens the monitored state; supports a large "
        "security cost, not its size",
    ),
    _P(
        "L5",
        "mean months to complete disarmament once agreed",
        "months",
        "LogU(12, 120)",
        "source",
        "Hecker, Carlin & Serbin's 2018 roadmap (CNN/NYT, May 2018): halting takes under a year, eliminating 6-10 "
        "years; Bolton's demand (within one year). Supports the two ends of the range",
        ("f-hecker-roadmap",),
    ),
    _P(
        "mu_W",
        "warheads' worth of material produced per year while testing or under the moratorium",
        "warheads/yr",
        "U(5, 12)",
        "source",
        "SIPRI Yearbooks: 20-30 (Jan 2019), 30-40 (Jan 2020), 40-50 (Jan 2021) warheads that could be built",
        ("f-sipri-2019",),
    ),
    _P(
        "W0",
        "arsenal in March 2019",
        "warheads",
        "TN(27, 4; 15, 45)",
        "derived",
        "SIPRI Jan 2019 (20-30) plus two months' production",
        ("f-sipri-2019",),
    ),
    _P(
        "omega_u",
        "share of production continuing under a freeze (undeclared enrichment)",
        "share",
        "U(0.3, 0.7)",
        A,
        "Hanoi, 28 Feb 2019: the US raised an undeclared enrichment site; supports only that one exists",
    ),
    _P(
        "omega_c",
        "share of production continuing when cheating after a declaration",
        "share",
        "U(0.2, 0.5)",
        A,
        "assumption",
    ),
    # --- North Korea's types and payoffs (one month of the 2018 sanctions bite = 1)
    _P(
        "m_v",
        "median monthly value of the deterrent other than insurance against a strike",
        "bite-months",
        "LogU(0.2, 3)",
        A,
        "\"Trump and North Korea: What's Next\" (Dec 2019): Pyongyang needs its weapons to be taken seriously; "
        "supports that a status value exists",
    ),
    _P("sigma_v", "spread (log sd) of that value across types", "log units", "U(0.3, 1.2)", A, "assumption"),
    _P(
        "mu_tau",
        "mean monthly value of a short-range test campaign",
        "bite-months",
        "N(-1.5, 1.0)",
        "fitted",
        "maximum likelihood on the CNS test record, Mar 2019 - Jan 2021",
        ("d-cns",),
    ),
    _P(
        "sigma_tau",
        "spread of the test value across types",
        "bite-months",
        "U(0.1, 0.6)",
        A,
        "not identified from one country's record",
    ),
    _P(
        "Delta2",
        "extra value of a strategic (long-range or nuclear) test",
        "bite-months",
        "N(-1.0, 1.0)",
        "fitted",
        "upper bound only: no strategic test in 2019-20 (CNS)",
        ("d-cns",),
    ),
    _P(
        "rho_vt",
        "correlation of deterrent value and test value across types",
        "correlation",
        "U(0, 0.8)",
        A,
        "assumption",
    ),
    _P(
        "b_c",
        "share of the deterrent value given up that covert cheating recovers",
        "share",
        "U(0.05, 0.3)",
        A,
        "assumption",
    ),
    _P(
        "c_m",
        "North Korea's one-off cost of changing stage",
        "bite-months",
        "LogU(0.3, 3)",
        A,
        "assumption; the moratorium held in every month of Apr 2018 - Jan 2021 (CNS) supports a cost well above "
        "the choice noise",
    ),
    _P("C_N", "North Korea's cost of a crisis", "bite-months", "LogU(0.5, 6)", A, "assumption"),
    _P("X_W", "North Korea's loss from war", "bite-months", "LogU(60, 1200)", A, "assumption"),
    _P(
        "X_RC",
        "North Korea's loss from forcible regime change",
        "bite-months",
        "LogU(60, 1200)",
        A,
        "the DPRK editorial quoted by Kristian (2019) (Saddam, Gaddafi) supports that it is seen as catastrophic, "
        "not its size",
    ),
    _P("delta_N", "North Korea's monthly discount factor", "per month", "U(0.97, 0.995)", A, "assumption"),
    _P(
        "sigma_N",
        "randomness of North Korea's monthly choices (logit scale)",
        "bite-months",
        "LogU(0.05, 0.5)",
        A,
        "assumption; its profile likelihood is reported by `detente strategy-fit`",
    ),
    _P(
        "c_X",
        "North Korea's security cost of full US-ROK exercises",
        "bite-months",
        "U(0, 0.3)",
        A,
        "DPRK complaints about the exercises support only the direction",
    ),
    _P("tau_X", "extra test value while full exercises run", "bite-months", "U(0, 0.5)", A, "assumption"),
    _P(
        "phi_G",
        "value to North Korea of a unilateral US opening step",
        "bite-months",
        "U(0, 0.2)",
        A,
        "\"Trump and North Korea: What's Next\" (Dec 2019) proposes lifting the travel ban; supports the kind of step",
    ),
    _P(
        "kappa_cov",
        "shift in the value of testing while the border is closed",
        "bite-months",
        "N(0, 1)",
        "fitted",
        "maximum likelihood on the CNS test record",
        ("d-cns",),
    ),
    _P(
        "lambda_d",
        "extra test days in a month with a campaign",
        "days",
        "LogU(0.1, 5)",
        "fitted",
        "maximum likelihood on the CNS test record",
        ("d-cns",),
    ),
    # --- sanctions, relief, leakage, border closure, Congress
    _P(
        "sigma_UN",
        "share of the bite the US can lift without Congress",
        "share",
        "U(0.6, 0.9)",
        A,
        "the 2017 UN Security Council bans coincide with the export collapse; the share is an assumption",
    ),
    _P(
        "R_H_share",
        "share of the executive part lifted by the North's Hanoi ask",
        "share",
        "U(0.5, 0.9)",
        "source",
        "Ri Yong Ho, 1 Mar 2019: lift the civilian-economy provisions of 5 of 11 resolutions; the share is an "
        "assumption",
        ("f-hanoi-dprk-demand",),
    ),
    _P(
        "leak_2019",
        "share of the bite escaped through evasion in 2019",
        "share",
        "Beta(0.3; 0.15, 0.5)",
        "derived",
        "UN Panel of Experts 2020 report (AP, 16 Feb 2020): 3.7 Mt of coal exported Jan-Aug 2019; about $0.55 bn a "
        "year of illicit coal against about $1.5 bn a year of lost exports gives 0.2-0.4",
        ("f-poe-2020",),
    ),
    _P(
        "leak_2020_mult",
        "2020 leakage relative to 2019",
        "ratio",
        "U(0.8, 1.5)",
        A,
        "continued evasion; China-Russia draft resolution to ease sanctions, Dec 2019",
    ),
    _P("leak_inf", "long-run leakage", "share", "U(0.2, 0.6)", A, "assumption"),
    _P(
        "c_cov",
        "share of relief value unusable while the border is closed",
        "share",
        "Beta(0.6; 0.3, 0.85)",
        "source",
        "China customs (Yonhap, 12 Feb 2021): DPRK-China trade 2020 down 80.7 %; supports the collapse, the share "
        "is an assumption",
        ("f-covid-border",),
    ),
    _P("c_cov_inf", "long-run share of relief value unusable", "share", "U(0, 0.5)", A, "assumption"),
    _P(
        "pi_C",
        "chance that statutory relief survives Congress",
        "probability",
        "U(0.3, 0.9)",
        "source",
        "NKSPEA 2016 s.401 (22 U.S.C. 9251) and the Warmbier Act 2019 s.7143 allow suspensions only on certification "
        "to Congress; supports the mechanism, the probability is an assumption",
        ("f-nkspea",),
    ),
    # --- US exploitation and the North's beliefs
    _P(
        "p60",
        "prior chance a fully disarmed North is exploited within five years",
        "probability",
        "Beta(0.3; 0.08, 0.6)",
        A,
        "Libya (disarmed 2003, toppled 2011), the 2002 collapse of the Agreed Framework, "
        "the US exit from the JCPOA (2018) support that the fear exists, not its size",
    ),
    _P(
        "alpha_psi",
        "shape of the North's prior on US exploitation (lower = learns faster)",
        "shape",
        "LogU(0.5, 4)",
        A,
        "assumption",
    ),
    _P(
        "p_ex",
        "prior chance the US withholds the first tranche that falls due",
        "probability",
        "Beta(0.1; 0.03, 0.25)",
        A,
        "Agreed Framework delivery delays support that delivery is uncertain",
    ),
    _P(
        "kappa_x",
        "how fast US temptation rises as the deterrent is given up",
        "rate",
        "U(2, 8)",
        A,
        "Fearon 1995 and Powell 2006 support the direction",
    ),
    _P("a_s", "exponent of the strike share of exploitation", "exponent", "U(1, 4)", A, "assumption"),
    _P("m_S", "successor administration's exploitation multiplier", "ratio", "LogU(0.5, 2)", A, "assumption"),
    _P(
        "omega_G",
        "hands-tying effect of a unilateral US step on exploitation",
        "share",
        "U(0, 0.3)",
        A,
        "Fearon 1997 supports the mechanism",
    ),
    # --- monitoring
    _P("det", "monthly chance covert cheating is detected", "probability", "U(0.03, 0.15)", A, "assumption"),
    _P("eps_f", "monthly chance of a false alarm on a compliant North", "probability", "U(0, 0.03)", A, "assumption"),
    # --- crisis and war
    _P("p_cb", "background chance of a crisis each month", "probability", "LogU(0.002, 0.02)", A, "assumption"),
    _P(
        "p_c0_1",
        "chance of a crisis after a short-range campaign with no threat posture",
        "probability",
        "LogU(0.005, 0.05)",
        A,
        "the 2019 short-range tests produced no crisis",
    ),
    _P(
        "p_c0_2",
        "chance of a crisis after a strategic test with no threat posture",
        "probability",
        "LogU(0.05, 0.3)",
        A,
        "the 2017 crisis followed ICBM and nuclear tests",
    ),
    _P(
        "pi_ult",
        "chance a crisis reaches a take-it-or-leave-it demand",
        "probability",
        "LogU(0.05, 0.3)",
        A,
        "no Korean crisis since 1953 became a war",
    ),
    _P(
        "rho_U",
        "US war cost relative to the North's in Fearon's risk-return formula",
        "ratio",
        "U(0.7, 1.0)",
        A,
        "assumption",
    ),
    _P(
        "zeta",
        "strength of missile defence's effect on US war costs",
        "ratio",
        "U(0.5, 1.5)",
        A,
        "Powell 2003 supports the direction",
    ),
    _P("G_e", "president's value of a show of force", "CVID-months", "U(0, 1)", A, "assumption"),
    # --- missile defence
    _P(
        "e_B",
        "efficacy of 20 added interceptors at Fort Greely",
        "share",
        "U(0.05, 0.3)",
        A,
        "AP (Aug 2019): the system has performed poorly in tests; supports modest efficacy qualitatively",
    ),
    _P(
        "omega_H",
        "share of the deterrent's value resting on threatening the US homeland",
        "share",
        "U(0.2, 0.6)",
        A,
        "Fort Greely protects the homeland, not Seoul or Tokyo",
    ),
    _P("c_B", "president's monthly cost of added interceptors", "CVID-months", "U(0, 0.2)", A, "assumption"),
    # --- election and turnover
    _P(
        "q0",
        "chance the president is re-elected (as of 2019)",
        "probability",
        "Beta(0.45; 0.33, 0.57)",
        "source",
        "PredictIt prices for re-election: 40 % (27 Apr 2019) and 47 % (Jul 2019)",
        ("f-predictit",),
    ),
    _P("dq_D", "re-election gain from a visible deal", "probability", "U(0, 0.03)", A, "assumption"),
    _P("dq_R", "re-election loss from relief without disarmament", "probability", "U(0, 0.02)", A, "assumption"),
    _P("k_E", "stage voters would see as a deal", "stage", "fixed(2)", A, "assumption: a verified freeze"),
    _P("eta", "chance a successor keeps relief in force", "probability", "U(0.4, 0.9)", A, "assumption"),
    _P(
        "tau_inf",
        "monthly chance the rule in force changes after the horizon",
        "per month",
        "fixed(0.0104167)",
        A,
        "assumption: one change in eight years on average",
    ),
    # --- the president (units: months of complete disarmament)
    _P("d1", "president's value of the moratorium", "CVID-months", "U(0.05, 0.2)", A, "assumption"),
    _P("d2", "president's value of a verified freeze", "CVID-months", "U(0.2, 0.4)", A, "assumption"),
    _P("d3", "president's value of Yongbyon dismantled", "CVID-months", "U(0.4, 0.5)", A, "assumption"),
    _P("d4", "president's value of a full declaration", "CVID-months", "U(0.5, 0.7)", A, "assumption"),
    _P("c_R", "president's political cost of full relief per month", "CVID-months", "LogU(0.05, 1)", A, "assumption"),
    _P(
        "varpi_B",
        "share of that cost removed after Bolton leaves (10 Sep 2019)",
        "share",
        "U(0, 0.5)",
        A,
        "the date is sourced (VOA, Yonhap), the share is an assumption",
    ),
    _P(
        "w_T",
        "president's cost of a short-range test month",
        "CVID-months",
        "U(0, 0.1)",
        A,
        "Trump played down the 2019 short-range tests; supports a small cost",
    ),
    _P("w_S", "president's cost of a strategic test", "CVID-months", "U(0.2, 2)", A, "assumption"),
    _P(
        "A",
        "audience cost of backing down, per threat level",
        "CVID-months",
        "U(0, 2)",
        A,
        "Tomz (2007) supports that it rises with the level of the threat",
    ),
    _P("w_C", "president's cost of a crisis", "CVID-months", "U(0.2, 3)", A, "assumption"),
    _P("W_US0", "president's cost of war", "CVID-months", "LogU(50, 2000)", A, "assumption"),
    _P("g_RC", "president's value of regime change by force", "CVID-months", "U(-20, 20)", A, "assumption"),
    _P("W_P", "president's value of re-election", "CVID-months", "LogU(20, 500)", A, "assumption"),
    _P("c_G", "president's cost of a unilateral opening step", "CVID-months", "U(0, 0.1)", A, "assumption"),
    _P("c_XP", "president's cost of scaled-back exercises", "CVID-months", "U(0, 0.2)", A, "assumption"),
    _P("beta_P", "president's monthly discount factor", "per month", "U(0.95, 0.99)", A, "assumption"),
    _P("sigma_P", "randomness of the president's escalation choice", "CVID-months", "LogU(0.1, 1)", A, "assumption"),
    _P(
        "w_L",
        "president's legacy weight on the stage reached when leaving office",
        "CVID-months",
        "U(0, 24)",
        A,
        "assumption",
    ),
    # --- South Korea leading (the Seoul-led rule). The weights of South Korea's payoff are the premises of Kristian
    # (2019), labelled as such: Seoul "faces total devastation" and seeks "the attainable goal of peace over the
    # unlikely achievement of denuclearization".
    _P(
        "omega_K",
        "share of the US strike hazard removed while Seoul leads (its consent needed for force)",
        "share",
        "U(0, 0.5)",
        A,
        "Moon Jae-in, 15 Aug 2017 (Korea Herald): no one can decide on military action without South Korea's "
        "consent; supports the claim of a veto, its effect is an assumption",
        scope=SEOUL,
    ),
    _P(
        "theta_K",
        "share of the value of South Korean payments the North counts when Seoul leads",
        "share",
        "U(0.5, 1)",
        "source",
        "the DPRK statement quoted by Kristian (2019): dialogue 'strictly between the DPRK and the [United States], "
        "not between the North and the South'; supports a reluctance to deal through Seoul, not its size",
        ("q-dprk-excludes-seoul",),
        scope=SEOUL,
    ),
    _P(
        "rho_K",
        "South Korea's weight on the stage of disarmament reached (the president's scale)",
        "share",
        "U(0.3, 0.8)",
        "source",
        "the article's premise (Kristian 2019): Seoul seeks 'the attainable goal of peace over the unlikely "
        "achievement of denuclearization'; supports a weight below the president's, not its value",
        ("q-patient-diplomacy",),
        scope=SEOUL,
    ),
    _P(
        "e_K",
        "South Korea's value of a month with an agreement in force",
        "CVID-months",
        "U(0.1, 0.5)",
        "source",
        "the article's premise (Kristian 2019): a patient diplomacy 'which accepts gradual improvement'; supports a "
        "value of partial agreements, not its size",
        ("q-patient-diplomacy",),
        scope=SEOUL,
    ),
    _P(
        "W_K",
        "South Korea's loss from war",
        "CVID-months",
        "LogU(500, 5000)",
        "source",
        "the article's premise (Kristian 2019): it is South Korea 'that faces total devastation should open "
        "conflict resume'; supports a loss above the president's, not its size",
        ("q-total-devastation",),
        scope=SEOUL,
    ),
    _P("w_CK", "South Korea's cost of a crisis", "CVID-months", "U(1, 5)", A,
       "assumption: a crisis threatens Seoul directly", scope=SEOUL),
    _P("w_TK", "South Korea's cost of a month of North Korean tests", "CVID-months", "U(0, 0.3)", A, "assumption",
       scope=SEOUL),
    _P(
        "k_P",
        "South Korea's cost of one bite-month of its payments",
        "CVID-months per bite-month",
        "U(0.5, 1.5)",
        A,
        "assumption; Kaesong paid about $80 m a year in wages (VOA 2013), about 0.05 bite-months a month",
        scope=SEOUL,
    ),
    _P(
        "nu_K",
        "US deference: how much of his payoff against the Hanoi offer the president gives up to let Seoul lead",
        "CVID-months",
        "U(0, 10)",
        A,
        "assumption: 0 lets Seoul lead only where Washington loses nothing against the Hanoi offer; the top of "
        "the range exceeds the president's whole gain from his best rule at the central values",
        scope=SEOUL,
    ),
)

BY_NAME: dict[str, Prior] = {p.name: p for p in REGISTRY}


def central() -> dict[str, float]:
    """Every parameter at its central value (prior median; maximum-likelihood estimate for fitted ones)."""
    from detente.strategy.staged.cns import FITTED_CENTRAL

    out = {p.name: p.central for p in REGISTRY}
    out.update(FITTED_CENTRAL)
    return out


def check(values: dict[str, Any], *, where: str = "`params`") -> dict[str, float]:
    """Validate overrides: known names, finite numbers inside the prior's support (else one ParameterError)."""
    out: dict[str, float] = {}
    for k, v in values.items():
        if k not in BY_NAME:
            near = ", ".join(sorted(BY_NAME)[:0])
            raise ParameterError(f"{where} {k}: unknown parameter; see `detente strategy-params`{near}")
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ParameterError(f"{where} {k}={str(v)[:40]!r}: expected a number") from None
        if not math.isfinite(x):
            raise ParameterError(f"{where} {k}={v!r}: expected a finite number")
        lo, hi = BY_NAME[k].bounds
        if not (lo - 1e-12 <= x <= hi + 1e-12):
            raise ParameterError(f"{where} {k}={x:g}: expected a value in [{lo:g}, {hi:g}] ({BY_NAME[k].label})")
        out[k] = x
    return out
