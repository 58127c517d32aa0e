"""Writing files atomically: the one file writer of the library and the command line.

:func:`write_atomic` writes the bytes to a temporary file in the target's folder, flushes them to disk (``fsync``) and
renames the temporary file over the target (:func:`os.replace`, atomic on POSIX and Windows): a reader sees the old
file or the new one, never half of one, and a failure leaves the old file (or none) and no temporary file behind.

Errors name the path through ``argument``, the name the caller knows it by: ``path`` for :func:`detente.save`, an
option such as ``--out`` on the command line.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from detente.errors import ParameterError, _show


def check_writable(path: str | Path, argument: str = "path") -> None:
    """Refuse an output path that cannot be written, before any work is done: a directory, or a missing folder.

    Raises
    ------
    ParameterError
        ``"{argument} 'PATH': is a directory; expected a file name"`` or ``"…: folder 'DIR' does not exist"``.
    """
    path = Path(path)
    if str(path) == "" or path.is_dir():
        raise ParameterError(f"{argument} {_show(str(path))}: is a directory; expected a file name")
    real = Path(os.path.realpath(path))
    if real.is_dir():
        raise ParameterError(f"{argument} {_show(str(path))}: is a directory; expected a file name")
    if not real.parent.is_dir():
        raise ParameterError(f"{argument} {_show(str(path))}: folder {str(real.parent)!r} does not exist")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(data: str | bytes, path: str | Path, argument: str = "path") -> Path:
    """Write ``data`` to ``path`` atomically; text is written as UTF-8 and ends with a newline.

    The bytes go to a temporary file beside the target, are synced to disk, and the temporary file then replaces the
    target: a failure leaves the old file (or none). A symbolic link is written through (its target is replaced, the
    link stays); a new file gets the mode the umask allows (as a shell redirection would), a replaced file keeps its
    mode.

    Parameters
    ----------
    data : str or bytes
    path : str or Path
    argument : str
        How errors name ``path`` (the caller's argument or option name).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        A directory, a missing folder, or a file that cannot be written (the message names ``argument`` and the path).
    """
    path = Path(path)
    check_writable(path, argument)
    payload = data if isinstance(data, bytes) else (data if data.endswith("\n") else data + "\n").encode()
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as e:
        raise ParameterError(f"{argument} {_show(str(path))}: cannot write ({e.strerror or e})") from None
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as e:
        raise ParameterError(f"{argument} {_show(str(path))}: cannot write ({e.strerror or e})") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path
