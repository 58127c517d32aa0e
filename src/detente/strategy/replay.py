"""Historical replay, June 2018 - December 2020, against dated events (docs/strategy.md, Historical replay).

Simulated paths record a monthly set of events in the vocabulary {talks, step, test, threat, breakdown, crisis};
the observed months come from ``data/strategy/korea_events.csv`` (dated public facts, one source URL per
event). The score is the WarAgent-style Jaccard similarity (Hua et al. 2023) of the simulated and observed monthly
sets, |A & B| / |A | B| (1 when both are empty), averaged over months and paths. Two references make the number
readable: the score of predicting "nothing happens" every month, and of the observed months in shuffled order.

The tension series is compared through the Rivera et al. (2024) escalation score: the observed monthly score (same
weights as the simulation's) against each policy's mean simulated score (Pearson correlation and RMSE). ICEWS
Goldstein aggregates, the usual event data for such a comparison, are not shipped with detente.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from detente import display
from detente.strategy.params import ParamBatch, StrategyParams
from detente.strategy.results import month_labels
from detente.strategy.simulate import ES_WEIGHTS, EVENT_NAMES, simulate

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

VOCAB = {name: bit for bit, name in EVENT_NAMES.items()}
START = "2018-06"
MONTHS = 31  # June 2018 .. December 2020
# observed categories -> escalation-score weight (Rivera et al. 2024: de-escalation -2, posturing 4, non-violent 12)
OBS_ES = {
    "step": ES_WEIGHTS["step"],
    "test": ES_WEIGHTS["test"],
    "threat": ES_WEIGHTS["threat"],
    "breakdown": ES_WEIGHTS["snapback"],
    "crisis": ES_WEIGHTS["crisis"],
    "talks": 0.0,
}


def load_events() -> list[dict[str, str]]:
    """The dated events shipped with detente (``detente/data/strategy/korea_events.csv``)."""
    text = resources.files("detente").joinpath("data/strategy/korea_events.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def observed_sets(months: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed monthly event bits (T,), escalation score (T,) and test counts (T,) for the given month labels."""
    idx = {m: i for i, m in enumerate(months)}
    bits = np.zeros(len(months), np.uint8)
    es = np.zeros(len(months))
    tests = np.zeros(len(months))
    for row in load_events():
        i = idx.get(row["month"])
        if i is None:
            continue
        for cat in row["categories"].split(";"):
            if cat in VOCAB:
                bits[i] |= VOCAB[cat]
                es[i] += OBS_ES[cat]
            if cat == "test":
                tests[i] += 1
    return bits, es, tests


def jaccard_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise Jaccard similarity of event sets stored as bit masks (1 where both sets are empty)."""
    a = np.asarray(a, np.uint8)
    b = np.asarray(b, np.uint8)
    inter = np.unpackbits((a & b)[..., None], axis=-1).sum(axis=-1)
    union = np.unpackbits((a | b)[..., None], axis=-1).sum(axis=-1)
    return np.where(union == 0, 1.0, inter / np.maximum(union, 1))


@dataclass(repr=False)
class ReplayResult(display.SummaryRepr):
    """Each policy's monthly Jaccard score against the observed months, with the two references (a
    :class:`~detente.results.Result`)."""

    months: list[str]
    observed: list[list[str]]
    scores: dict[str, dict[str, Any]]
    references: dict[str, float]
    seed: int | None
    paths: int

    frame_columns: ClassVar[tuple[str, ...]] = ("policy", "month", "jaccard", "tension_mean")
    """The columns of :meth:`frame`."""

    def _summary(self) -> display.Summary:
        facts = [("months", str(len(self.months))), ("policies", display.listed(list(self.scores))),
                 ("paths", str(self.paths)), ("seed", str(self.seed))]
        rows = [[n, display.fmt(s.get("jaccard_mean"))] for n, s in self.scores.items()]
        rows += [[f"reference: {n}", display.fmt(v)] for n, v in self.references.items()]
        return display.Summary("ReplayResult", facts, ["policy", "mean Jaccard"], rows)

    def verdict(self) -> str:
        """One sentence: which policies the "nothing happens" reference beats (a plain statement, not a footnote)."""
        ref = self.references.get("nothing_happens")
        if ref is None:
            return ""
        beaten = [n for n, s in self.scores.items() if s["jaccard_mean"] < ref]
        if not beaten:
            return f"every policy scores above the 'nothing happens' reference ({ref:.3f})"
        return (f"the 'nothing happens' reference ({ref:.3f}) beats {', '.join(beaten)}: predicting no event at all "
                "matches the record better than the engine does for these policies")

    def provenance(self) -> dict[str, Any]:
        """Engine, events file, months, seed, paths and version."""
        from detente import __version__

        return {
            "engine": "strategy-replay",
            "events": "detente/data/strategy/korea_events.csv",
            "months": [self.months[0], self.months[-1]] if self.months else [],
            "seed": self.seed,
            "paths": self.paths,
            "version": __version__,
        }

    def frame(self) -> pd.DataFrame:
        """Per policy and month: the mean Jaccard score over paths and the mean simulated tension."""
        import pandas as pd

        rows = [
            {"policy": pol, "month": m, "jaccard": j, "tension_mean": e}
            for pol, s in self.scores.items()
            for m, j, e in zip(self.months, s["jaccard_by_month"], s["tension_mean"], strict=True)
        ]
        return pd.DataFrame(rows, columns=list(self.frame_columns))

    def figure(self) -> Figure:
        """Each policy's Jaccard score by month against the references (:func:`detente.report.strategy.replay_figure`)."""
        from detente.report.strategy import replay_figure

        return replay_figure(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``detente strategy-replay --format json``."""
        return {
            "months": self.months,
            "observed": self.observed,
            "policies": self.scores,
            "references": self.references,
            "verdict": self.verdict(),
            "seed": self.seed,
            "paths": self.paths,
        }


def replay(
    policies: list[str], params: StrategyParams | None = None, *, paths: int = 2000, seed: int | None = 0
) -> ReplayResult:
    """Score each policy's simulated monthly events against the observed months June 2018 - December 2020."""
    params = params or StrategyParams()
    months = month_labels(MONTHS, START)
    if params.T < MONTHS:
        params = params.with_(T=MONTHS)
    obs_bits, obs_es, _ = observed_sets(months)
    pb = ParamBatch([params])
    scores: dict[str, dict[str, Any]] = {}
    for pol in policies:
        ps = simulate(pb, pol, paths, seed=seed, record_events=True)
        assert ps.events is not None
        ev = ps.events[:MONTHS, 0, :]  # (T, N)
        J = jaccard_bits(ev, obs_bits[:, None])  # (T, N)
        per_path = J.mean(axis=0)
        sim_es = ps.ES_mean[0, :MONTHS]
        corr = float(np.corrcoef(sim_es, obs_es)[0, 1]) if np.std(sim_es) > 0 and np.std(obs_es) > 0 else None
        scores[pol] = {
            "jaccard_mean": round(float(per_path.mean()), 4),
            "jaccard_q10_q90": [round(float(x), 4) for x in np.quantile(per_path, [0.1, 0.9])],
            "jaccard_by_month": [round(float(x), 4) for x in J.mean(axis=1)],
            "es_correlation": None if corr is None else round(corr, 4),
            "es_rmse": round(float(np.sqrt(np.mean((sim_es - obs_es) ** 2))), 4),
            "tension_mean": [round(float(x), 3) for x in ps.E_mean[0, :MONTHS]],
        }
    rng = np.random.default_rng(seed)
    shuffled = np.mean([jaccard_bits(rng.permutation(obs_bits), obs_bits).mean() for _ in range(200)])
    references = {
        "nothing_happens": round(float(jaccard_bits(np.zeros_like(obs_bits), obs_bits).mean()), 4),
        "shuffled_months": round(float(shuffled), 4),
    }
    observed = [[EVENT_NAMES[b] for b in EVENT_NAMES if obs_bits[i] & b] for i in range(MONTHS)]
    return ReplayResult(months=months, observed=observed, scores=scores, references=references, seed=seed, paths=paths)
