"""The parameter object: spec table 15.8 defaults, ranges, sources, and the scenario `strategy:` block format."""

from __future__ import annotations

import pytest

from detente.errors import ParameterError, ScenarioError
from detente.strategy.params import (
    ParamBatch,
    StrategyParams,
    from_scenario,
    from_strategy_block,
    parse_overrides,
)


def test_defaults_are_the_spec_table():
    p = StrategyParams()
    assert (p.T, p.t_E, p.K) == (32, 29, 5)
    assert p.D == [0, 0.02, 0.08, 0.18, 0.35, 1]
    assert p.R == [0, 0.1, 0.25, 0.45, 0.7, 1]
    assert (p.s, p.v_S, p.v_G, p.pi_S, p.rho0, p.phi) == (1, 0.4, 2.0, 0.6, 0.6, 0.35)
    assert (p.h, p.X, p.eps, p.d, p.b_cheat) == (0.02, 60, 0.05, 0.08, 0.3)
    assert p.g <= 1 / 3 + 1e-12
    assert (p.kappa, p.pi_small, p.q, p.eta, p.delta) == (0.3, 0.5, 0.5, 0.8, 0.97)
    assert (p.W0_mean, p.W0_sd, p.prod_lo, p.prod_hi) == (30, 5, 5, 7)


def test_every_parameter_has_meaning_range_and_source():
    rows = StrategyParams.table()
    assert {r["name"] for r in rows} == set(StrategyParams.model_fields)
    for r in rows:
        assert r["meaning"] and r["source"], r
    rho = next(r for r in rows if r["name"] == "rho0")
    assert "ge 0" in rho["range"] and "le 1" in rho["range"]


def test_strategy_block_with_sources():
    block = {"params": {"rho0": 0.8, "D": [0, 0.1, 0.3, 1]}, "sources": {"rho0": "analyst estimate"}}
    p, src = from_strategy_block(block, file="k.yaml")
    assert p.rho0 == 0.8 and p.K == 3
    assert src == {"rho0": "analyst estimate"}


@pytest.mark.parametrize(
    "block, where, value",
    [
        ({"params": {"rho0": 1.5}}, "strategy.params.rho0", "1.5"),
        ({"params": {"bogus": 1}}, "strategy.params.bogus", "bogus"),
        ({"parms": {}}, "strategy", "parms"),
        ({"params": {}, "sources": {"nope": "x"}}, "strategy.sources.nope", "nope"),
        ({"params": {"D": [0, 0.5, 0.4, 1]}}, "strategy.params", "D must rise"),
        ({"params": {"t_E": 40}}, "strategy.params", "t_E"),
    ],
)
def test_bad_strategy_blocks_name_file_field_and_value(block, where, value):
    with pytest.raises(ScenarioError) as e:
        from_strategy_block(block, file="k.yaml")
    msg = str(e.value)
    assert msg.startswith("k.yaml: " + where)
    assert value in msg


def test_scenario_block_overrides_the_defaults():
    import detente

    s = detente.load("korea-2019")
    roles = {"leader": "us-president", "target": "dprk"}
    s2 = s.model_copy(update={"strategy": {"roles": roles, "params": {"rho0": 0.9}, "sources": {"rho0": "test"}}})
    p2, src = from_scenario(s2)
    assert p2.rho0 == 0.9 and src["rho0"] == "test"


def test_overrides_and_errors():
    p = parse_overrides(StrategyParams(), {"rho0": 0.3})
    assert p.rho0 == 0.3
    with pytest.raises(ParameterError, match="`params` foo: unknown strategy parameter"):
        parse_overrides(StrategyParams(), {"foo": 1})
    with pytest.raises(ParameterError, match="`params` phi"):
        parse_overrides(StrategyParams(), {"phi": -1})


def test_param_batch_shapes_and_shared_grid():
    pb = ParamBatch([StrategyParams(rho0=0.2), StrategyParams(rho0=0.8)])
    assert pb.rho0.shape == (2,) and pb.D.shape == (2, 6) and pb.col("rho0").shape == (2, 1)
    with pytest.raises(ParameterError, match="share T"):
        ParamBatch([StrategyParams(), StrategyParams(T=40)])
