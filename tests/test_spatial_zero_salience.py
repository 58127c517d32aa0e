"""The spatial model leaves actors with salience 0 on every issue out of the coalition arithmetic."""

from __future__ import annotations

import numpy as np

from detente import models
from detente.scenario.arrays import ScenarioArrays

POS = np.array([[10.0, 80.0], [60.0, 20.0], [90.0, 50.0], [40.0, 40.0]])
SAL = np.array([[0.8, 0.3], [0.5, 0.9], [0.6, 0.4], [0.0, 0.0]])  # the last actor cares about nothing
CAP = np.array([30.0, 20.0, 25.0, 40.0])


def _arrays(pos: np.ndarray, sal: np.ndarray, cap: np.ndarray) -> ScenarioArrays:
    n = pos.shape[-2]
    return ScenarioArrays.from_numpy(pos, sal, cap, actors=tuple("ABCD"[:n]), issues=("x", "y"))


def test_zero_salience_actor_is_dropped_with_a_note() -> None:
    m = models.get("spatial")
    full = m.solve(_arrays(POS, SAL, CAP), seed=0)
    alone = m.solve(_arrays(POS[:3], SAL[:3], CAP[:3]), seed=0)
    np.testing.assert_array_equal(full.outcomes, alone.outcomes)
    np.testing.assert_array_equal(full.trajectory[:, :, :3], alone.trajectory)
    assert np.all(full.trajectory[0, :, 3] == POS[3])  # it keeps its position
    assert np.all(full.arrays["win_prob"][0, :, 3] == 0.0)
    assert full.info["zero_salience_actors"]["actors"] == ["D"]
    assert full.to_dict()["zero_salience_actors"]["actors"] == ["D"]


def test_mixed_batch_equals_draw_by_draw() -> None:
    """Draw 0 has the indifferent actor, draw 1 does not: the batch gives what each draw gives alone."""
    sal1 = SAL.copy()
    sal1[3] = [0.2, 0.7]
    pos = np.stack([POS, POS[::-1]])
    sal = np.stack([SAL, sal1])
    cap = np.stack([CAP, CAP])
    m = models.get("spatial")
    both = m.solve(_arrays(pos, sal, cap), seed=0)
    for b in range(2):
        one = m.solve(_arrays(pos[b], sal[b], cap[b]), seed=0)
        np.testing.assert_array_equal(both.outcomes[b], one.outcomes[0])
        T = one.trajectory.shape[1]
        np.testing.assert_array_equal(both.trajectory[b, :T], one.trajectory[0])
        assert set(both.tables["moves"].query("draw == @b")["turn"]) == set(one.tables["moves"]["turn"])
