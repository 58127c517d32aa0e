"""The atomic file writer shared by :func:`detente.save` and the command line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import detente
from detente.errors import ParameterError
from detente.files import write_atomic


def test_writes_text_with_a_final_newline_and_bytes_as_given(tmp_path):
    assert write_atomic("a: 1", tmp_path / "t.yaml") == tmp_path / "t.yaml"
    assert (tmp_path / "t.yaml").read_bytes() == b"a: 1\n"
    write_atomic(b"\x00\x01", tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin", "t.yaml"]


def test_a_failed_rename_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "s.yaml"
    target.write_text("old\n")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(ParameterError, match=r"^path '.*s\.yaml': cannot write \(No space left on device\)$"):
        write_atomic("new", target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["s.yaml"]


def test_a_replaced_file_keeps_its_mode_and_a_link_is_written_through(tmp_path):
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    real.chmod(0o600)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    write_atomic("new", link)
    assert link.is_symlink() and real.read_text() == "new\n"
    assert real.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("name", "argument", "match"),
    [
        ("", "path", r"^path '.*': is a directory; expected a file name$"),
        ("no-such-folder/s.yaml", "--out", r"^--out '.*: folder '.*no-such-folder' does not exist$"),
    ],
)
def test_errors_name_the_argument_they_are_given(tmp_path, name, argument, match):
    with pytest.raises(ParameterError, match=match):
        write_atomic("x", tmp_path / name if name else tmp_path, argument)


def test_save_names_its_path_argument_not_a_cli_option(tmp_path):
    s = detente.load("emission-standards-1994")
    with pytest.raises(ParameterError, match=r"^path '.*': is a directory") as e:
        detente.save(s, tmp_path)
    assert "--" not in str(e.value)
    assert list(Path(tmp_path).iterdir()) == []
