"""Result tables by suffix: ``--out FILE.parquet`` writes the same table as ``--out FILE.csv``."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli import _load_commands, app

pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (the parquet extra)")
_load_commands()
runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ["forecast", "korea-2019", "--model", "compromise"],
        ["forecast", "korea-2019", "--model", "median"],
        ["ensemble", "korea-2019", "--model", "compromise", "--draws", "40", "--seed", "3"],
    ],
)
def test_parquet_matches_csv(args, tmp_path):
    pq, csv = tmp_path / "r.parquet", tmp_path / "r.csv"
    r1 = runner.invoke(app, [*args, "--out", str(pq)])
    assert r1.exit_code == 0, r1.output
    r2 = runner.invoke(app, [*args, "--out", str(csv)])
    assert r2.exit_code == 0, r2.output
    got, want = pd.read_parquet(pq), pd.read_csv(csv)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    # same inputs, same bytes
    runner.invoke(app, [*args, "--out", str(tmp_path / "again.parquet")])
    assert (tmp_path / "again.parquet").read_bytes() == pq.read_bytes()


def test_parquet_not_to_terminal():
    r = runner.invoke(app, ["forecast", "korea-2019", "--format", "parquet"])
    assert r.exit_code == 2
    assert "expected --out FILE.parquet" in r.output


def test_parquet_without_pyarrow_is_one_line(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "pyarrow" else real(n, *a))
    out = tmp_path / "r.parquet"
    r = runner.invoke(app, ["forecast", "korea-2019", "--out", str(out)])
    assert r.exit_code == 2
    assert "detente[parquet]" in r.output and r.output.strip().count("\n") == 0
    assert not out.exists()
