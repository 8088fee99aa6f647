"""Helpers a test replaces: ``VM(helpers={"ktime_get_ns": 1000, "get_prandom_u32": fn})``.

A stub is an int (the helper always returns it), or a callable receiving a
`HelperCall` (the five argument registers, and reads and writes of VM memory) and
returning the helper's r0. Names are the kernel's, with or without ``bpf_``.
`FakeClock` is a ``ktime_get_ns`` that advances by a fixed step on every call, so
latencies computed by a program are known in advance.

>>> from pybpf.asm import assemble
>>> from pybpf.vm import VM
>>> prog = assemble("call bpf_ktime_get_ns\\nr6 = r0\\ncall bpf_ktime_get_ns\\nr0 -= r6\\nexit")
>>> VM(helpers={"ktime_get_ns": FakeClock(start=10**9, step=250)}).run(prog).r0
250
>>> VM(helpers={"get_current_pid_tgid": lambda call: 7 << 32 | 8}).run(
...     assemble("call bpf_get_current_pid_tgid\\nr0 >>= 32\\nexit")).r0
7
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import PybpfError
from ..isa import helper_id

if TYPE_CHECKING:
    from .machine import Machine

M64 = (1 << 64) - 1


@dataclass(frozen=True)
class HelperCall:
    """One call of a stubbed helper: its arguments (r1-r5) and the VM's memory."""

    machine: Machine
    args: tuple[int, ...]

    def read(self, address: int, size: int) -> bytes:
        """``size`` bytes of VM memory at ``address`` (faults like the program would)."""
        return self.machine.mem.read(address, size)

    def write(self, address: int, data: bytes) -> None:
        """Write ``data`` into VM memory at ``address``."""
        self.machine.mem.write(address, data)

    def string(self, address: int, limit: int = 4096) -> bytes:
        """The NUL-terminated string at ``address``."""
        return self.machine.mem.read_cstr(address, limit)


class FakeClock:
    """A monotonic clock for ``ktime_get_ns``: ``start``, then ``step`` ns later on each call."""

    def __init__(self, start: int = 1_000_000_000, step: int = 1000) -> None:
        self.now = start
        self.step = step

    def __call__(self, call: HelperCall | None = None) -> int:
        t = self.now
        self.now += self.step
        return t


def helper_number(name: str | int) -> int:
    """The helper id of ``name`` (``"ktime_get_ns"``, ``"bpf_ktime_get_ns"``) or an id.

    >>> helper_number("bpf_get_prandom_u32") == helper_number("get_prandom_u32")
    True
    """
    if isinstance(name, int):
        return name
    num = helper_id(name.removeprefix("bpf_"))
    if num is None:
        raise PybpfError(f"helpers={{{name!r}: ...}}: no kernel helper of that name")
    return num


def make_stub(name: str | int, value: int | Callable[[HelperCall], int]) -> Callable[[Machine], int]:
    """The machine-level helper for a stub ``value`` (see the module docstring)."""
    if isinstance(value, bool) or not (isinstance(value, int) or callable(value)):
        raise PybpfError(f"helpers[{name!r}] must be an int or a callable taking a HelperCall, "
                         f"not {type(value).__name__}")
    if isinstance(value, int):
        const = value & M64
        return lambda m: const

    fn: Any = value

    def call(m: Machine) -> int:
        R = m.R
        r = fn(HelperCall(m, (R[1], R[2], R[3], R[4], R[5])))
        if not isinstance(r, int):
            raise PybpfError(f"stub for helper {name!r} returned {r!r}, not an int")
        return r & M64
    return call


def make_stubs(helpers: dict[str | int, Any] | None) -> dict[int, Callable[[Machine], int]]:
    """``{helper id: machine helper}`` for a ``helpers=`` argument."""
    return {helper_number(k): make_stub(k, v) for k, v in (helpers or {}).items()}
