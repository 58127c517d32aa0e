"""DEU unanimity proposals with the member states as veto players (Tsebelis & Garrett 2000): the reader's helper,
the back-test's ``vetoes="on"`` and the CLI's ``--vetoes``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import detente
from detente.cli import _load_commands, app
from detente.models import get
from detente.scenario.arrays import to_arrays
from detente.scenario.deu import read_deu, unanimity_vetoes
from detente.validation.deu import deu_backtest, shape_groups, stack

REPO = Path(__file__).resolve().parents[1]
SAMPLE = Path(__file__).parent / "data" / "deu" / "dataverse_sample.csv"
SHARED = Path(os.environ.get("DETENTE_SHARED", REPO.parent / "shared"))
DEU_DEV = SHARED / "data" / "deu" / "deu3_dev.csv"
needs_deu = pytest.mark.skipif(not DEU_DEV.exists(), reason=f"DEU data not present at {DEU_DEV}")
runner = CliRunner()
_load_commands()


def test_member_states_veto_unanimity_proposals_only() -> None:
    qmv, unan = read_deu(SAMPLE)
    assert unanimity_vetoes(qmv) is qmv  # QMV: unchanged
    v = unanimity_vetoes(unan).scenario.vetoes
    assert [(r.issue, r.players, r.acceptance) for r in v] == [("t05002i1", ["de", "fr", "lu", "pl", "uk"], "ideal")]
    # the Commission (at 100) is no veto player; uk (10) and pl (70) sit on both sides of the reference point 50
    s = unanimity_vetoes(unan).scenario
    assert detente.forecast(s, "compromise").outcome["t05002i1"] == 50.0
    assert detente.forecast(s, "compromise", vetoes="off").outcome["t05002i1"] != 50.0


def test_cli_vetoes_on_a_deu_file() -> None:
    args = ["backtest", str(SAMPLE), "--bootstrap", "0", "--draws", "0", "-m", "compromise", "-f", "json"]
    off, on = runner.invoke(app, args), runner.invoke(app, [*args, "--vetoes", "on"])
    assert off.exit_code == 0 and on.exit_code == 0, off.output + on.output
    p_off, p_on = json.loads(off.stdout)["provenance"], json.loads(on.stdout)["provenance"]
    assert "vetoes" not in p_off and p_on["vetoes"].startswith("on:") and p_on["veto_issues"] == 1
    bad = runner.invoke(app, ["backtest", str(SAMPLE), "--vetoes", "maybe"])
    assert bad.exit_code == 2 and "--vetoes 'maybe': expected one of on, off" in bad.stderr
    bad = runner.invoke(app, ["backtest", str(SAMPLE), "--delegations", "separate"])
    assert bad.exit_code == 2 and "--delegations" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


@needs_deu
def test_batches_with_vetoes_equal_one_by_one() -> None:
    arrays = [to_arrays(unanimity_vetoes(p).scenario) for p in read_deu(DEU_DEV)]
    vetoed = [g for g in shape_groups(arrays) if len(g) > 1 and arrays[g[0]].meta.get("structure")]
    assert vetoed  # some unanimity proposals share a shape and are stacked
    m = get("compromise")
    for g in vetoed:
        batched = m.solve(stack([arrays[k] for k in g])).outcomes
        for b, k in enumerate(g):
            np.testing.assert_array_equal(batched[b], m.solve(arrays[k]).outcomes[0])


@needs_deu
def test_deu_backtest_with_unanimity_vetoes() -> None:
    off = deu_backtest(DEU_DEV, models=["compromise"], bootstrap=0, draws=0)
    on = deu_backtest(DEU_DEV, models=["compromise"], bootstrap=0, draws=0, vetoes="on")
    key = ["proposal", "issue", "model"]
    a = off.predictions.set_index(key).sort_index()
    b = on.predictions.set_index(key).sort_index()
    assert a.index.equals(b.index)
    same = (b["voting_rule"] == "QMV") | b["reference"].isna()  # no veto rule, or no status quo to fall back on
    np.testing.assert_array_equal(a.loc[same, "forecast"], b.loc[same, "forecast"])
    moved = b[~same & (b.index.get_level_values("model") == "compromise")]
    assert len(moved) == 28  # the scored unanimity issues with a reference point
    assert int(np.isclose(moved["forecast"], moved["reference"]).sum()) == 23  # gridlock: states on both sides
    # every forecast lies between the reference point and each member state's position (acceptance: ideal)
    props = {p.proposal: p for p in read_deu(DEU_DEV)}
    for (prop, iid, _), row in moved.iterrows():
        s = props[prop].scenario
        states = {a.id for a in s.actors if a.group == "member state"}
        for st in s.stances:
            if st.issue == iid and st.actor in states:
                lo, hi = sorted((row["reference"], st.position))
                assert lo - 1e-9 <= row["forecast"] <= hi + 1e-9, (prop, iid, st.actor)
    # the leaderboard figures reported in docs/validation.md (deterministic; two decimals)
    mae = {r.model: r.mae for r in on.table.itertuples()}
    assert round(mae["compromise"], 2) == 25.64
    assert round({r.model: r.mae for r in off.table.itertuples()}["compromise"], 2) == 22.72
