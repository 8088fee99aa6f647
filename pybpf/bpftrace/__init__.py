"""bpftrace's language in Python: ``pybpf trace -e 'PROGRAM'`` and ``pybpf trace FILE.bt``.

A script is parsed (`pybpf.bpftrace.parser`) into the DSL's Python AST, one function per
probe, and compiled by the DSL compiler through the same path as a Python probe file:
`ProgramSpec`, pybpf's verifier, the kernel's loader. No LLVM or clang runs. Errors name
the script's line and column; a verifier rejection is explained at the script's line.

>>> prog = compile_script('tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }',
...                       filename="<test>")                          # doctest: +SKIP
>>> [p.section for p in prog.probes]                                 # doctest: +SKIP
['tracepoint:raw_syscalls:sys_enter']
"""

from __future__ import annotations

import re

from .._record import record
from ..dsl import lines as source_lines
from ..dsl import stubs as S
from ..dsl import types as T
from ..dsl.automap import Maps
from ..dsl.probe import Probe
from .parser import AT, Script, parse

__all__ = ["Program", "compile_script", "namespace"]

TYPE_CHECKING = False  # (not typing's: start-up of pybpf trace)
if TYPE_CHECKING:
    from typing import Any


@record()
class Program:
    """A script ready to run: its probes (DSL `Probe` objects) and the names they see."""

    script: Script
    probes: list[Probe]
    namespace: dict[str, Any]

    @property
    def maps(self) -> Maps:
        return self.namespace[AT]


def namespace() -> dict[str, Any]:
    """The names a translated probe sees: the ``@`` maps and the DSL's builtins."""
    ns: dict[str, Any] = {AT: Maps()}
    for name in ("pid", "tid", "uid", "gid", "nsecs", "elapsed", "cpu", "comm", "kstack", "ustack",
                 "curtask", "rand", "cgroup", "probe_name", "func", "printf", "print_time", "join",
                 "clear", "zero", "exit", "ksym", "usym", "kaddr", "send_signal", "count", "avg",
                 "stats", "hist", "lhist", "kptr", "ntop", "buf", "bswap", "deref", "cat"):
        ns[name] = getattr(S, name)
    for t in ("u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"):
        ns[t] = getattr(T, t)
    return ns


def _probe_name(attach: list[str], index: int) -> str:
    kind, _, rest = attach[0].partition(":")
    text = re.sub(r"[^A-Za-z0-9_]", "_", rest.rsplit(":", 1)[-1] if rest else kind)[:10]
    if not text or not (text[0].isalpha() or text[0] == "_"):
        text = re.sub(r"[^A-Za-z]", "", kind)[:4] + "_" + text
    return f"{text}_{index}"


def compile_script(text: str, filename: str = "<program>", params: list[str] | None = None) -> Program:
    """Parse ``text`` (a bpftrace script) into DSL probes (compiled when loaded)."""
    if filename.startswith("<"):  # a program given on the command line: its lines for errors
        source_lines.register(filename, text)
    script = parse(text, filename, params)
    ns = namespace()
    probes = []
    for i, p in enumerate(script.probes):
        probes.append(Probe(None, ",".join(p.attach), tree=p.tree, namespace=ns, filename=filename,
                            name=_probe_name(p.attach, i),
                            options={"missing_uprobes": "skip", "lineinfo": False}))
    return Program(script, probes, ns)
