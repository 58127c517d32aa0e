"""What-if interventions: declarative edits of a scenario ("what if Seoul is put at the centre?").

An :class:`~detente.scenario.schema.Edit` is data (it lives in a scenario file's ``variants`` and ``events``):

- ``set`` / ``shift`` / ``scale`` an actor's ``position``, ``salience`` (0–100 points, as in the file) or
  ``capability`` on one issue, or on all its issues when ``issue`` is omitted. ``capability`` without an issue edits
  the actor's capability (and, for ``shift``/``scale``, every per-issue override it has; ``set`` clears the
  overrides, so the actor then has the new capability everywhere);
- ``add_actor`` (``new_actor`` = the actor's fields, ``stances`` = its stances, ``actor`` defaulting to the new id);
- ``remove_actor``;
- ``set_status_quo`` of an issue.

:func:`apply` returns a new, validated :class:`Scenario`. An edit that would put a value off its valid range (a
position off the issue's scale, a salience outside 0–100, a negative capability) raises :class:`ScenarioError`
naming the variant, the edit's index, the field and the value: nothing is silently clipped.
:func:`apply_arrays` does the same on a batch of :class:`ScenarioArrays` (used inside ensembles). Both run the same
operations (:mod:`detente.interventions.ops`), so a scenario and every draw of a batch are edited alike.

**Dated edits.** An edit with ``round = r > 0`` happens at round ``r`` of a round-based model. :func:`solve` honours
it for any model whose capabilities say it is round-based: it runs the model for ``r`` rounds, takes the actors'
positions at that round, applies the edit to them and runs the model again from there (state other than the
positions, e.g. a model's risk exponents, is recomputed from the restart point). A static model cannot honour a round:
:func:`solve` raises :class:`ParameterError`. :func:`apply` works on scenario data, which has no rounds: by default it
applies dated edits at round 0 (``dated="round0"``); ``dated="error"`` refuses them, ``dated="skip"`` leaves them out.

The modules: :mod:`~detente.interventions.edits` (parsing and labelling edits), :mod:`~detente.interventions.ops`
(each operation, once), :mod:`~detente.interventions.on_scenario` and :mod:`~detente.interventions.on_arrays` (the
two representations the operations act on), :mod:`~detente.interventions.dated` (solving with dated edits).
"""

from __future__ import annotations

from detente.interventions.dated import final_positions, solve
from detente.interventions.edits import EditsLike, LabelledEdit, resolve
from detente.interventions.on_arrays import apply_arrays
from detente.interventions.on_scenario import apply, as_of

__all__ = [
    "EditsLike",
    "LabelledEdit",
    "apply",
    "apply_arrays",
    "as_of",
    "final_positions",
    "resolve",
    "solve",
]
