"""DSL code quality and compile time: each example probe against its C twin (clang-19 -O2).

Prints one JSON line per figure:

- ``insns/<probe>``: instruction count of the probe compiled by pybpf.dsl vs the same
  logic in C (tests/progs/dsl_<example>.bpf.c, ``clang-19 -O2 -g -target bpf``), counted by
  llvm-objdump-19 (an lddw counts as one instruction on both sides); ratio = clang/pybpf,
  so > 1 means pybpf emits fewer instructions; the target is ratio >= 1/1.2.
- ``compile_ms/<probe>``: milliseconds to compile the probe from Python source (warm: the
  tracepoint format and BTF already cached) vs clang-19 compiling the C twin (whole file,
  divided by its number of programs); ratio = clang/pybpf. ``with_precheck_ms`` adds
  pybpf's verifier run that precedes every load.
- ``compile_ms/tests.inlined``: the inlining probe of tests/dsl/compiler_probes.py (several
  inlined functions with early returns) against the 50 ms per probe the DSL promises
  (peer "target"; the figure replaces a timed test).

    .venv/bin/python benchmarks/dsl.py [--repeat N]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

from _common import ROOT, emit, need, skip

from pybpf.dsl import compile_probe, load_module, module_probes

BENCH = "dsl"
EXAMPLES = ["syscount", "opensnoop", "execsnoop", "kill_exec", "sensitive_read", "tcpconnect", "biolatency", "profile", "xdp_drop"]
CLANG = ["clang-19", "-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu"]


def clang_counts(obj: Path) -> dict[str, int]:
    """Instructions per function symbol, from llvm-objdump-19 -d."""
    out = subprocess.run(["llvm-objdump-19", "-d", str(obj)], capture_output=True, text=True,
                         check=True).stdout
    counts: dict[str, int] = {}
    current = None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(\w+)>:", line)
        if m:
            current = m.group(1)
            counts[current] = 0
        elif current and re.match(r"^\s+\d+:\s", line):
            counts[current] += 1
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    inlined_probe_figure(args.repeat)
    reason = need("clang-19", "llvm-objdump-19")
    with tempfile.TemporaryDirectory() as tmp:
        for ex in EXAMPLES:
            mod = load_module(str(ROOT / "examples" / f"{ex}.py"))
            probes = module_probes(mod)
            src = ROOT / "tests" / "progs" / f"dsl_{ex}.bpf.c"
            obj = Path(tmp) / f"{ex}.o"
            if reason is None:
                t0 = time.perf_counter()
                for _ in range(args.repeat):
                    subprocess.run([*CLANG, "-c", str(src), "-o", str(obj)], check=True)
                clang_s = (time.perf_counter() - t0) / args.repeat / len(probes)
                counts = clang_counts(obj)
            for p in probes:
                compile_probe(p.fn, p.section)  # warm: imports, tracefs format, BTF
                t0 = time.perf_counter()
                for _ in range(args.repeat):
                    prog = compile_probe(p.fn, p.section, verify=False)
                ours_s = (time.perf_counter() - t0) / args.repeat
                t0 = time.perf_counter()
                for _ in range(args.repeat):
                    compile_probe(p.fn, p.section)
                checked_s = (time.perf_counter() - t0) / args.repeat
                if reason is not None:
                    skip(BENCH, f"insns/{p.name}", reason)
                    continue
                peer = counts[p.name]
                emit(BENCH, f"insns/{p.name}", len(prog.insns), "clang-19 -O2", peer,
                     lower_is_better=True, example=ex)
                emit(BENCH, f"compile_ms/{p.name}", ours_s * 1000, "clang-19 -O2", clang_s * 1000,
                     lower_is_better=True, example=ex,
                     with_precheck_ms=round(checked_s * 1000, 3))


def inlined_probe_figure(repeat: int) -> None:
    """Compile time of tests/dsl/compiler_probes.py's ``inlined`` against the 50 ms target."""
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.dsl import compiler_probes

    section = "tracepoint/raw_syscalls/sys_enter"
    compile_probe(compiler_probes.inlined, section)  # warm: imports
    t0 = time.process_time()
    for _ in range(repeat):
        compile_probe(compiler_probes.inlined, section)
    ours_ms = (time.process_time() - t0) / repeat * 1000
    emit(BENCH, "compile_ms/tests.inlined", ours_ms, "target", 50.0, lower_is_better=True,
         note="CPU ms per compile, verifier pre-check included")


if __name__ == "__main__":
    main()
