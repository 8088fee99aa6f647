"""Text for what probes print, as bpftrace prints it: maps (`pybpf.dsl.output`), stacks
(one ``symbol+offset`` per line, kernel through kallsyms, user through the process's
mappings and ELF symbols) and ``ksym``/``usym`` addresses.

`channel_hooks` gives an `EventChannel` what its records need from a running `Session`;
`print_maps` prints every bpftrace-style map of a program at the end of a run.
"""

from __future__ import annotations

from collections.abc import Callable

from .automap import AutoMap, StackRef
from .output import format_map

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["channel_hooks", "print_maps", "stack_text"]


def _symbolizer(session: Any) -> Any:
    if session.symbolizer is None:
        from ..symbolize import Symbolizer

        session.symbolizer = Symbolizer()
    return session.symbolizer


def stack_text(session: Any, stack_map: Any, ref: StackRef, indent: int) -> str:
    """A stack as bpftrace prints it: a newline, then each frame on its own line."""
    if stack_map is None or stack_map.kernel is None or ref.stack_id < 0:
        return "\n"
    sym = _symbolizer(session)
    frames = stack_map.stack(ref.stack_id)
    pad = " " * indent
    if ref.kernel:
        lines = [sym.kernel_name(a, offset=True) for a in frames]
    else:
        lines = [sym.user_name(ref.pid, a, offset=True) for a in frames]
    return "\n" + "".join(f"{pad}{line}\n" for line in lines)


def channel_hooks(session: Any, channel: Any) -> dict[str, Callable[..., Any]]:
    """The callbacks an `EventChannel` record needs from ``session``."""

    def stack(spec: Any, word: int) -> str:
        sid = word & 0xFFFFFFFF
        ref = StackRef(spec.kind == "kstack", sid - (1 << 32) if sid >> 31 else sid, word >> 32)
        return stack_text(session, spec.extra, ref, 8)

    def sym(kind: str, addr: int, pid: int) -> str:
        s = _symbolizer(session)
        return s.kernel_name(addr) if kind == "ksym" else s.user_name(pid, addr)

    def print_map(m: AutoMap, top: int, div: int) -> None:
        session.output(render_map(session, m, top=top, div=div))

    return {"stack": stack, "sym": sym, "print_map": print_map, "exit": session.stop}


def render_map(session: Any, m: AutoMap, *, top: int = 0, div: int = 0) -> str:
    def keytext(ref: StackRef) -> str:
        return stack_text(session, m.stack_map, ref, 4)

    return format_map(m, top=top, div=div, stack_text=keytext)


def print_maps(session: Any, maps: list[AutoMap], write: Callable[[str], Any]) -> None:
    """Every map (bound to the kernel) in ``maps``, in order, as bpftrace prints them at exit."""
    for m in maps:
        if m.kernel is not None and m.typed:
            write(render_map(session, m))


def folded(m: AutoMap, symbolizer: Any = None) -> list[str]:
    """``m``'s entries as flame-graph folded stacks (Brendan Gregg's ``stackcollapse``
    format): ``name;outer;...;inner count``, outermost frame first, user frames then kernel
    frames (marked ``_[k]``), one line per key, sorted. ``m`` is keyed by stacks (and
    optionally strings such as ``comm()`` first) with ``count()`` values.

    >>> folded.__name__
    'folded'
    """
    if symbolizer is None:
        from ..symbolize import Symbolizer

        symbolizer = Symbolizer()
    stacks = m.stack_map
    lines = []
    for key, count in m.items():
        parts = key if isinstance(key, tuple) else (key,)
        names: list[str] = []
        frames_user: list[str] = []
        frames_kernel: list[str] = []
        for part in parts:
            if isinstance(part, StackRef):
                addrs = stacks.stack(part.stack_id) if stacks is not None and part.stack_id >= 0 else []
                if part.kernel:
                    frames_kernel += [symbolizer.kernel_name(a) + "_[k]" for a in reversed(addrs)]
                else:
                    frames_user += [symbolizer.user_name(part.pid, a) for a in reversed(addrs)]
            else:
                names.append(str(part))
        frames = [*names, *frames_user, *frames_kernel]
        lines.append(f"{';'.join(f.replace(';', ':') for f in frames) or '[unknown]'} {count}")
    return sorted(lines)
