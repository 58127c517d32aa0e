"""The numpy view of a scenario that every model consumes, batch axis first.

Shapes (B = batch of draws or variants, n = actors, m = issues):

- ``position``   (B, n, m) on each issue's own scale (``lower``..``upper``)
- ``salience``   (B, n, m) in [0, 1] (the file's 0–100 divided by 100)
- ``capability`` (B, n, m) ≥ 0 (the actor's capability, or its per-issue override)
- ``mask``       (B, n, m) bool: the actor takes part on the issue (has a stance)
- ``status_quo`` (B, m) on the issue's scale, NaN where the scenario gives none
- ``lower``, ``upper`` (m,) scale bounds

Where ``mask`` is False, position is the issue's lower bound and salience and capability are 0, so weighted sums
ignore the cell without extra masking.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from detente.scenario.schema import Scenario


@dataclass(frozen=True, eq=False)
class ScenarioArrays:
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    position: np.ndarray
    salience: np.ndarray
    capability: np.ndarray
    mask: np.ndarray
    status_quo: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    name: str = "<arrays>"
    scenario_hash: str = ""
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        B, n, m = self.position.shape
        for nm in ("salience", "capability", "mask"):
            if getattr(self, nm).shape != (B, n, m):
                raise ValueError(f"ScenarioArrays.{nm} has shape {getattr(self, nm).shape}, expected {(B, n, m)}")
        if self.status_quo.shape != (B, m):
            raise ValueError(f"ScenarioArrays.status_quo has shape {self.status_quo.shape}, expected {(B, m)}")
        if len(self.actors) != n or len(self.issues) != m:
            raise ValueError("ScenarioArrays: actor/issue id counts do not match the array shapes")

    @property
    def batch(self) -> int:
        return int(self.position.shape[0])

    @property
    def n_actors(self) -> int:
        return int(self.position.shape[1])

    @property
    def n_issues(self) -> int:
        return int(self.position.shape[2])

    @property
    def weight(self) -> np.ndarray:
        """capability × salience, (B, n, m); zero where the actor is absent."""
        return self.capability * self.salience * self.mask

    def with_batch(self, B: int) -> ScenarioArrays:
        """Broadcast a batch of one to a batch of B (copies, so draws can be edited in place)."""
        if self.batch == B:
            return self
        if self.batch != 1:
            raise ValueError(f"cannot broadcast a batch of {self.batch} to {B}")
        rep = lambda a: np.repeat(a, B, axis=0)  # noqa: E731
        return replace(
            self,
            position=rep(self.position),
            salience=rep(self.salience),
            capability=rep(self.capability),
            mask=rep(self.mask),
            status_quo=rep(self.status_quo),
        )

    def take(self, index: int | slice | np.ndarray) -> ScenarioArrays:
        """A sub-batch (keeps the batch axis)."""
        idx = np.atleast_1d(np.arange(self.batch)[index])
        return replace(
            self,
            position=self.position[idx],
            salience=self.salience[idx],
            capability=self.capability[idx],
            mask=self.mask[idx],
            status_quo=self.status_quo[idx],
        )

    def select_issues(self, issues: list[int] | np.ndarray) -> ScenarioArrays:
        idx = np.asarray(issues, dtype=int)
        return replace(
            self,
            issues=tuple(self.issues[i] for i in idx),
            position=self.position[:, :, idx],
            salience=self.salience[:, :, idx],
            capability=self.capability[:, :, idx],
            mask=self.mask[:, :, idx],
            status_quo=self.status_quo[:, idx],
            lower=self.lower[idx],
            upper=self.upper[idx],
        )

    def select_actors(self, actors: list[int] | np.ndarray) -> ScenarioArrays:
        idx = np.asarray(actors, dtype=int)
        return replace(
            self,
            actors=tuple(self.actors[i] for i in idx),
            position=self.position[:, idx],
            salience=self.salience[:, idx],
            capability=self.capability[:, idx],
            mask=self.mask[:, idx],
        )

    @classmethod
    def from_numpy(
        cls,
        position: np.ndarray,
        salience: np.ndarray,
        capability: np.ndarray,
        *,
        mask: np.ndarray | None = None,
        status_quo: np.ndarray | None = None,
        lower: np.ndarray | float = 0.0,
        upper: np.ndarray | float = 100.0,
        actors: tuple[str, ...] | None = None,
        issues: tuple[str, ...] | None = None,
        name: str = "<arrays>",
    ) -> ScenarioArrays:
        """Build from plain arrays. 2-D (n, m) inputs get a batch axis; capability may be (…, n) per actor."""
        pos = np.asarray(position, dtype=float)
        if pos.ndim == 2:
            pos = pos[None]
        B, n, m = pos.shape
        sal = np.broadcast_to(
            np.asarray(salience, dtype=float).reshape((-1, n, m) if np.ndim(salience) >= 2 else (1, 1, 1)), (B, n, m)
        ).copy()
        cap = np.asarray(capability, dtype=float)
        if cap.ndim == 1 or (cap.ndim == 2 and cap.shape == (B, n) and cap.shape != (n, m)):
            cap = cap[..., None]
        if cap.ndim == 2:
            cap = cap[None]
        cap = np.broadcast_to(cap, (B, n, m)).copy()
        msk = np.ones((B, n, m), bool) if mask is None else np.broadcast_to(np.asarray(mask, bool), (B, n, m)).copy()
        sq = (
            np.full((B, m), np.nan)
            if status_quo is None
            else np.broadcast_to(np.asarray(status_quo, float), (B, m)).copy()
        )
        lo = np.broadcast_to(np.asarray(lower, float), (m,)).copy()
        hi = np.broadcast_to(np.asarray(upper, float), (m,)).copy()
        acts = actors or tuple(f"A{i:02d}" for i in range(n))
        iss = issues or tuple(f"I{j:02d}" for j in range(m))
        pos = np.where(msk, pos, lo[None, None, :])
        sal = np.where(msk, sal, 0.0)
        cap = np.where(msk, cap, 0.0)
        h = _hash_arrays(pos, sal, cap, msk, sq, lo, hi, acts, iss)
        return cls(acts, iss, pos, sal, cap, msk, sq, lo, hi, name=name, scenario_hash=h)


def _hash_arrays(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(str(p.dtype).encode() + str(p.shape).encode())
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def scenario_hash(scenario: Scenario) -> str:
    """A stable 16-hex-digit hash of the scenario's content (its canonical JSON)."""
    payload = scenario.model_dump(mode="json", exclude_none=True)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def to_arrays(scenario: Scenario) -> ScenarioArrays:
    """The numpy view of a scenario with a batch axis of one draw.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    ScenarioArrays
        Positions, saliences (0-1), capabilities and the stance mask, each (1, n actors, m issues).

    Examples
    --------
    >>> import detente
    >>> detente.to_arrays(detente.load("emission-standards-1994")).position.shape
    (1, 11, 1)
    """
    actors = tuple(a.id for a in scenario.actors)
    issues = tuple(i.id for i in scenario.issues)
    n, m = len(actors), len(issues)
    ai = {a: k for k, a in enumerate(actors)}
    ij = {i: k for k, i in enumerate(issues)}
    lower = np.array([i.scale.lower for i in scenario.issues], float)
    upper = np.array([i.scale.upper for i in scenario.issues], float)
    pos = np.tile(lower, (n, 1))
    sal = np.zeros((n, m))
    cap = np.zeros((n, m))
    mask = np.zeros((n, m), bool)
    base_cap = np.array([a.capability for a in scenario.actors], float)
    for st in scenario.stances:
        a, j = ai[st.actor], ij[st.issue]
        pos[a, j] = st.position
        sal[a, j] = st.salience / 100.0
        cap[a, j] = base_cap[a] if st.capability is None else st.capability
        mask[a, j] = True
    sq = np.array([np.nan if i.status_quo is None else i.status_quo for i in scenario.issues], float)
    return ScenarioArrays(
        actors,
        issues,
        pos[None],
        sal[None],
        cap[None],
        mask[None],
        sq[None],
        lower,
        upper,
        name=scenario.name,
        scenario_hash=scenario_hash(scenario),
        meta=_meta(scenario),
    )


def _meta(scenario: Scenario) -> dict[str, object]:
    from detente.scenario.twolevel import structure

    meta: dict[str, object] = {"observed": dict(scenario.observed)}
    struct = structure(scenario)
    if struct:
        meta["structure"] = struct
    return meta
