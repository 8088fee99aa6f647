"""``pybpf trace``'s path to its programs stays lean (not timed: benchmarks/trace.py times the
first event; this holds the import graph behind it): parsing a script and compiling its
probes imports neither `dataclasses` (nor the `inspect` and `dis` it brings) nor `linecache`
(nor `tokenize`), nor BTF or ELF readers a script without BTF types does not need."""

from __future__ import annotations

from tests._startup_probe import banned_imports

SCRIPT = """
from pybpf.bpftrace import compile_script
program = compile_script('BEGIN { @n[comm] = count(); printf("%d\\\\n", pid); exit(); }')
assert all(p.programs() for p in program.probes)
"""
BANNED = ("dataclasses", "inspect", "dis", "linecache", "tokenize", "pathlib", "json",
          "pybpf.btf.types", "pybpf.elf", "pybpf.verifier")


def test_compiling_a_script_imports_no_heavy_module():
    found = banned_imports(SCRIPT, BANNED)
    assert not found, "pybpf trace's compile path imports:\n" + "\n".join(found.values())
