"""Output from probes: ``printf``, ``print``, ``time``, ``join``, ``clear``, ``zero``, ``exit``.

Probes do not print: they send a record to one ring buffer per program (`EventChannel`),
and the userspace side formats it, as bpftrace does. A record starts with a u64 action id;
the id names an `Action` registered when the probe was compiled (its kind, format and the
layout of its arguments), so the record carries only the values:

    +---------+---------------+---------------+----
    | id (u64)| arg 0         | arg 1         | ...   ints: 8 bytes; strings: their size
    +---------+---------------+---------------+----

>>> ch = EventChannel()
>>> a = ch.register(Action("printf", "%s has %d\\n", (ArgSpec("str", 8), ArgSpec("int", 8, True))))
>>> lines = []
>>> ch.dispatch(a.to_bytes(8, "little") + b"bash\\0\\0\\0\\0" + (-3).to_bytes(8, "little", signed=True),
...             lines.append)
>>> lines
['bash has -3\\n']
"""

from __future__ import annotations

import time as _time

from .._record import field, record
from ..isa.mapspec import MapSpec
from .cformat import CFormat
from .maps import DslMap

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["Action", "ArgSpec", "EventChannel", "JOIN_ARGS", "JOIN_ARG_SIZE", "buf_text",
           "inet_text"]

JOIN_ARGS = 16  # bpftrace's join(): up to 16 arguments of up to 1024 bytes each
JOIN_ARG_SIZE = 1024


def inet_text(raw: bytes) -> str:
    """An ``ntop()`` record (family as a u64, 16 bytes of address) as bpftrace prints it.

    >>> inet_text((2).to_bytes(8, "little") + bytes([127, 0, 0, 1]).ljust(16, b"\\0"))
    '127.0.0.1'
    >>> inet_text((10).to_bytes(8, "little") + bytes(15) + b"\\1")
    '::1'
    """
    import socket

    family = int.from_bytes(raw[:8], "little")
    if family == socket.AF_INET6:
        return socket.inet_ntop(socket.AF_INET6, bytes(raw[8:24]))
    return socket.inet_ntop(socket.AF_INET, bytes(raw[8:12]))


def buf_text(raw: bytes) -> str:
    """A ``buf()`` as bpftrace prints it: printable ASCII as is, other bytes as ``\\xNN``.

    >>> buf_text(b"ab\\x01\\xff c")
    'ab\\\\x01\\\\xff c'
    """
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in raw)


@record(frozen=True)
class ArgSpec:
    """One argument of a record: ``int`` (8 bytes, ``signed``), ``str`` (``size`` bytes),
    ``inet`` (24 bytes: ``ntop()``), ``buf`` (``size`` raw bytes: ``buf()``),
    ``kstack``/``ustack`` (a stack id, user stacks with the pid), ``ksym`` (an address),
    ``usym`` (an address and a pid)."""

    kind: str
    size: int = 8
    signed: bool = False
    extra: Any = None  # the stack map of kstack/ustack arguments

    @property
    def slot(self) -> int:
        return (self.size + 7) // 8 * 8


@record()
class Action:
    """What a record asks userspace to do: ``printf`` (``text`` is the format), ``cat``
    (``text`` formats the name of a file to print), ``print``
    (a value, or ``map`` with ``top``/``div``), ``time`` (``text`` is a strftime format),
    ``join`` (``text`` is the delimiter), ``clear``, ``zero``, ``exit``."""

    kind: str
    text: str = ""
    args: tuple[ArgSpec, ...] = ()
    map: Any = None
    top: int = 0
    div: int = 0
    cformat: CFormat | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind in ("printf", "cat") and self.cformat is None:
            self.cformat = CFormat(self.text)

    @property
    def size(self) -> int:
        return 8 + sum(a.slot for a in self.args)


class EventChannel(DslMap):
    """The ring buffer every probe of a program writes its records to, and the table of
    actions their ids name. `dispatch` formats one record; the runtime passes the map
    printer, the symbolizer and the exit callback (``hooks``)."""

    kind = "ringbuf"

    def __init__(self, size: int = 1 << 20) -> None:
        super().__init__(None, None, size)
        self.actions: list[Action] = []
        self.hooks: dict[str, Callable[..., Any]] = {}

    def decl(self, name: str) -> MapSpec:
        return MapSpec(name, "ringbuf", 0, 0, self.max_entries)

    def register(self, action: Action) -> int:
        """The id of ``action`` (registered once; equal actions share an id)."""
        for i, a in enumerate(self.actions):
            if a == action:
                return i
        self.actions.append(action)
        return len(self.actions) - 1

    # -- userspace -----------------------------------------------------------------------------
    def decode_args(self, action: Action, raw: bytes) -> list[Any]:
        out: list[Any] = []
        pos = 8
        for a in action.args:
            chunk = raw[pos:pos + a.size]
            if a.kind == "str":
                out.append(chunk.split(b"\0", 1)[0].decode(errors="replace"))
            elif a.kind == "inet":
                out.append(inet_text(chunk))
            elif a.kind == "buf":
                out.append(buf_text(chunk))
            elif a.kind in ("kstack", "ustack"):
                fmt = self.hooks.get("stack")
                word = int.from_bytes(chunk[:8], "little")
                out.append(fmt(a, word) if fmt else str(word))
            elif a.kind in ("ksym", "usym"):
                fmt = self.hooks.get("sym")
                addr = int.from_bytes(chunk[:8], "little")
                pid = int.from_bytes(raw[pos + 8:pos + 16], "little") if a.kind == "usym" else 0
                out.append(fmt(a.kind, addr, pid) if fmt else hex(addr))
            else:
                out.append(int.from_bytes(chunk[:8], "little", signed=a.signed))
            pos += a.slot
        return out

    def dispatch(self, raw: bytes, write: Callable[[str], Any]) -> None:
        """Format one record and hand the text to ``write`` (or act on it)."""
        aid = int.from_bytes(raw[:8], "little")
        if aid >= len(self.actions):
            write(f"(unknown record id {aid})\n")
            return
        action = self.actions[aid]
        kind = action.kind
        if kind == "printf":
            assert action.cformat is not None
            write(action.cformat.render(self.decode_args(action, raw)))
        elif kind == "print":
            if action.map is not None:
                self.hooks["print_map"](action.map, action.top, action.div)
            else:
                (value,) = self.decode_args(action, raw)
                write(f"{value}\n")
        elif kind == "cat":
            assert action.cformat is not None
            path = action.cformat.render(self.decode_args(action, raw))
            try:
                with open(path, errors="replace") as f:
                    write(f.read())
            except OSError as e:  # on stderr, as bpftrace
                import sys

                print(f"ERROR: failed to open file '{path}': {e.strerror}", file=sys.stderr)
        elif kind == "time":
            write(_time.strftime(action.text or "%H:%M:%S\n"))
        elif kind == "join":
            parts = []
            for i in range(JOIN_ARGS):
                arg = raw[8 + i * JOIN_ARG_SIZE:8 + (i + 1) * JOIN_ARG_SIZE]
                if not arg or arg[0] == 0:
                    break
                parts.append(arg.split(b"\0", 1)[0].decode(errors="replace"))
            write((action.text or " ").join(parts) + "\n")
        elif kind in ("clear", "zero"):
            getattr(action.map, kind)()
        elif kind == "exit":
            hook = self.hooks.get("exit")
            if hook is not None:
                hook()
