"""The text of a kernel-side load error: the real failing line of the verifier log, quoted
with its instruction, and pybpf's explanation beside it (no errno guess when a log exists).

`describe` is what ``str(ProgLoadError)`` prints; the full log is in ``err.log``.

>>> from pybpf.errors import ProgLoadError
>>> e = ProgLoadError("BPF_PROG_LOAD", 13, log="0: R1=ctx() R10=fp0\\n0: (95) exit\\nR0 !read_ok\\nprocessed 1 insns (limit 1000000)\\n",
...                   detail="socket_filter program 'p', 1 insns")
>>> print(describe(e).splitlines()[1])
  verifier: insn 0 (exit): R0 !read_ok
"""
from __future__ import annotations

import errno as _errno
from typing import Any


def describe(err: Any) -> str:
    """``command failed: ENAME (detail)`` and the quoted failing line with pybpf's account."""
    from .fromlog import explain_log

    name = _errno.errorcode.get(err.errno, str(err.errno))
    head = f"{err.command} failed: {name}"
    if err.detail:
        head += f" ({err.detail})"
    program = getattr(err, "program", None)
    e = explain_log(err.log, program, getattr(err, "prog_type", None), verify=False)
    if e.accepted or not e.message:
        tail = [ln for ln in err.log.strip().splitlines() if ln.strip()][-1:]
        return head + ("\n  verifier: " + tail[0] if tail else "") + _added(err)
    from .logparse import parse_log

    k = parse_log(err.log)
    where = f"insn {e.insn}" if e.insn is not None else "program"
    if e.insn_text:
        where += f" ({e.insn_text})"
    out = [head, f"  verifier: {where}: {k.failing_line or e.message}"]
    if e.source is not None:
        place = f"{e.source.filename}:{e.source.line}" if e.source.filename else f"line {e.source.line}"
        out.append(f"  at {place}: {e.source.text.strip()}")
    out.append(f"  pybpf: {e.explanation}")
    if e.hint:
        out.append(f"  fix: {e.hint}")
    return "\n".join(out) + _added(err)


def _added(err: Any) -> str:
    """What a loader appended to the error's text after it was raised (e.g. the CO-RE
    relocation that poisoned the failing call)."""
    first = getattr(err, "first_text", "")
    now = str(err.args[1]) if len(err.args) > 1 else ""
    if first and now.startswith(first) and len(now) > len(first):
        return "\n  loader: " + now[len(first):].strip(" -")
    return ""


__all__ = ["describe"]
