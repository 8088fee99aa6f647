"""What a ``%%bpf`` cell does, apart from IPython: build the programs of a cell's source,
verify each one (recording every state) and run it in the VM.

>>> r = run_cell("r0 = 42\\nexit", lang="asm")
>>> r.runs[0].report.accepted, r.traces[0].result.r0
(True, 42)
>>> guess_language("#include <linux/bpf.h>"), guess_language("@probe('tracepoint/x')")
('c', 'dsl')
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PybpfError
from ..viewer.fragments import trace_html, verifier_run_html, wrap_html
from ..viewer.recording import VerifierRun, VMTrace, record_verifier, record_vm

CLANG = "clang-19"
#: program types whose context the VM builds around a packet (``VM.run(prog_type=...)``)
PACKET_CONTEXTS = ("xdp", "sched_cls", "sched_act")


def guess_language(source: str) -> str:
    """``"c"`` for C (``#include``, ``SEC(``), ``"dsl"`` for Python (``import``, ``@probe``,
    ``def``), else ``"asm"``."""
    if re.search(r"^\s*#\s*include\b|\bSEC\s*\(", source, re.M):
        return "c"
    if re.search(r"^\s*(from\s+\S+\s+import|import\s|@|def\s)", source, re.M):
        return "dsl"
    return "asm"


@dataclass
class CellResult:
    """A cell's programs: their recorded verifications (`VerifierRun`) and VM runs."""

    lang: str
    runs: list[VerifierRun] = field(default_factory=list)
    traces: list[VMTrace | None] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """True when pybpf's verifier accepts every program of the cell."""
        return all(r.report.accepted for r in self.runs)

    def _repr_html_(self) -> str:
        parts = []
        for run, trace in zip(self.runs, self.traces, strict=True):
            name = run.listing.name or "program"
            parts.append(f"<h4>{name} ({run.listing.prog_type})</h4>")
            parts.append(verifier_run_html(run))
            if trace is not None:
                parts.append("<h4>VM run</h4>")
                parts.append(trace_html(trace))
        return "".join(parts)


def _compile_c(source: str, workdir: Path) -> Path:
    if shutil.which(CLANG) is None:
        raise PybpfError(f"a C cell needs {CLANG} (apt-get install clang-19)")
    src = workdir / "cell.bpf.c"
    obj = workdir / "cell.bpf.o"
    src.write_text(source)
    arch = subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout.strip()
    res = subprocess.run([CLANG, "-O2", "-g", "-target", "bpf", f"-I/usr/include/{arch}-linux-gnu",
                          "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
    if res.returncode != 0:
        raise PybpfError("clang-19 failed:\n" + res.stderr.replace(str(src), "cell.bpf.c"))
    return obj


def run_cell(source: str, *, lang: str | None = None, prog_type: str | None = None,
             mem: bytes | None = None, packet: bytes | None = None, run: bool | None = None,
             name: str | None = None) -> CellResult:
    """The programs of ``source``, verified (every state kept) and run in the VM.

    Assembly is one program (``prog_type`` defaults to ``socket_filter``); a DSL cell gives
    one program per probe, a C cell one per ``SEC()`` program. ``run=None`` runs assembly
    always and DSL or C only when ``mem`` or ``packet`` is given.
    """
    from ..viewer.sources import record_file

    lang = lang or guess_language(source)
    result = CellResult(lang)
    with tempfile.TemporaryDirectory(prefix="pybpf-cell-") as tmp:
        workdir = Path(tmp)
        if lang == "asm":
            from ..asm import assemble

            program = assemble(source, filename="cell.s")
            program.name = name or program.name or "cell"
            result.runs.append(record_verifier(program, prog_type or "socket_filter"))
            programs: list[Any] = [program]
        elif lang == "dsl":
            path = workdir / f"{name or 'cell'}.py"
            path.write_text(source)
            result.runs = record_file(str(path), prog_type=prog_type)
            programs = [None] * len(result.runs)
        elif lang == "c":
            obj = _compile_c(source, workdir)
            result.runs = record_file(str(obj), prog_type=prog_type)
            programs = [None] * len(result.runs)
        else:
            raise PybpfError(f"--lang {lang}: use asm, dsl or c")
        if not result.runs:
            raise PybpfError(f"the {lang} cell defines no program")
        do_run = run if run is not None else (lang == "asm" or mem is not None or packet is not None)
        for r, program in zip(result.runs, programs, strict=True):
            if not do_run:
                result.traces.append(None)
                continue
            prog = program if program is not None else r.program
            if prog is None:  # a recording always keeps what it verified
                raise PybpfError(f"{r.listing.name}: no program to run")
            kw: dict[str, Any] = {"mem": mem, "packet": packet}
            if packet is not None and r.listing.prog_type in PACKET_CONTEXTS:
                kw = {"packet": packet, "prog_type": r.listing.prog_type}  # the VM builds ctx
            result.traces.append(record_vm(prog, **kw))
    return result


def error_html(exc: BaseException) -> str:
    """An error of a cell, as the cell shows it (no traceback: pybpf's errors say where)."""
    import html

    return wrap_html(f'<div class="bad pybpf-error">{html.escape(type(exc).__name__)}</div>'
                 f'<div class="m">{html.escape(str(exc))}</div>')


__all__ = ["CellResult", "error_html", "guess_language", "run_cell"]
