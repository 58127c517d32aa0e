"""Where the array kernels run: numpy on the CPU (the default), or an array API namespace on a GPU.

``--device cpu`` (the default) runs the numpy kernels: the same bytes as ever. ``--device cuda`` (``cuda:N`` for
the N-th GPU) runs the expected-utility round kernel (:mod:`detente.models._eu_xp`, written against the array API
standard) on CuPy, else on PyTorch, whichever is installed with a usable CUDA device; the numbers then agree with
the CPU's to rounding, not bit for bit (``docs`` and ``benchmarks/README.md`` state the tolerances). Without either,
or without a GPU, ``cuda`` is refused with one line saying what to install.

The device is set for a block of work with :func:`use` (the CLI's ``--device``, the library's ``device=``) and read
by the kernels with :func:`current`; :class:`Backend` wraps a namespace for tests (array-api-strict) as well.

>>> current() is None
True
>>> with use("cpu"):
...     current() is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.errors import ParameterError

__all__ = ["DEVICES", "Backend", "current", "resolve", "use"]

DEVICES = ("cpu", "cuda")
_CUDA = re.compile(r"^cuda(?::(\d+))?$")
_INSTALL = (
    "install detente[gpu] with CuPy (pip install 'cupy-cuda12x') or PyTorch with CUDA (pip install torch) on a "
    "machine with an NVIDIA GPU, or use device 'cpu'"
)


@dataclass(frozen=True)
class Backend:
    """An array API namespace ``xp`` and the device its arrays are made on (``None``: the namespace's default)."""

    xp: Any
    device: Any = None
    name: str = ""

    def asarray(self, a: np.ndarray) -> Any:
        """A numpy array on this backend's device."""
        if self.device is None:
            return self.xp.asarray(a)
        return self.xp.asarray(a, device=self.device)

    def to_numpy(self, a: Any) -> np.ndarray:
        """An array of this backend as a numpy array in host memory."""
        get = getattr(a, "get", None)  # CuPy
        if callable(get) and type(a).__module__.startswith("cupy"):
            return np.asarray(get())
        if type(a).__module__.startswith("torch"):
            return np.asarray(a.detach().cpu().numpy())
        return np.from_dlpack(a)


_current: ContextVar[Backend | None] = ContextVar("detente_device", default=None)


def current() -> Backend | None:
    """The backend of the work in progress; ``None``: numpy on the CPU."""
    return _current.get()


def resolve(device: str | None) -> Backend | None:
    """``"cpu"`` (or None) → None; ``"cuda"`` / ``"cuda:N"`` → CuPy's or PyTorch's namespace on that GPU."""
    if device is None or device == "cpu":
        return None
    m = _CUDA.match(str(device)) if isinstance(device, str) else None
    if m is None:
        shown = str(device)[:40]
        raise ParameterError(f"`device` {shown!r}: expected 'cpu' or 'cuda' ('cuda:N' for the N-th GPU)")
    index = int(m.group(1) or 0)
    problems = []
    try:
        import cupy

        count = cupy.cuda.runtime.getDeviceCount()
        if index < count:
            from array_api_compat import array_namespace

            with cupy.cuda.Device(index):
                xp = array_namespace(cupy.empty(0))
            return Backend(xp, None if index == 0 else cupy.cuda.Device(index), f"CuPy on cuda:{index}")
        problems.append(f"CuPy sees {count} CUDA device(s)")
    except ImportError as e:
        problems.append(f"CuPy: {e.name or 'cupy'} not installed")
    except Exception as e:  # noqa: BLE001 - a CUDA runtime error: no driver, no device
        problems.append(f"CuPy: {str(e)[:80]}")
    try:
        import torch

        if torch.cuda.is_available() and index < torch.cuda.device_count():
            from array_api_compat import array_namespace

            xp = array_namespace(torch.empty(0))
            return Backend(xp, torch.device(f"cuda:{index}"), f"PyTorch on cuda:{index}")
        problems.append(f"PyTorch sees {torch.cuda.device_count()} CUDA device(s)")
    except ImportError as e:
        problems.append(f"PyTorch: {e.name or 'torch'} not installed")
    raise ParameterError(f"`device` {device!r}: no usable CUDA device ({'; '.join(problems)}); {_INSTALL}")


@contextmanager
def use(device: str | Backend | None) -> Iterator[Backend | None]:
    """Run the enclosed work on ``device`` (a name as for :func:`resolve`, or a :class:`Backend`)."""
    backend = device if isinstance(device, Backend) else resolve(device)
    token = _current.set(backend)
    try:
        yield backend
    finally:
        _current.reset(token)
