"""Start-up stays lean: the modules each entry path imports (not timed: benchmarks/startup.py
times the processes; this holds the import graph that makes them fast).

Each case runs a fresh interpreter that imports an entry path and prints the modules it
loaded; heavy modules that path does not need must be absent. A new top-level import of
``dataclasses``, ``typing``, ``re``, ``pathlib``... on one of these paths fails here, naming
the chain of importers that brought it in.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: imported by none of the paths below (each costs more than a small probe's whole work)
HEAVY = ("dataclasses", "inspect", "typing", "ast", "pathlib", "ctypes", "threading",
         "subprocess", "shutil", "json")

#: what building the counter of benchmarks/startup.py imports: builder, load, attach
COUNTER = """
import pybpf
from pybpf.asm.builder import ProgramBuilder, Mov, Exit
from pybpf.kernel import link, prog, maps
link.tracepoint, prog.load, maps.ArrayMap, pybpf.load
"""

#: what the DSL counter of benchmarks/startup.py imports before it loads: its compiler, the
#: line info's BTF writer, the kernel's BTF loader
DSL = """
from pybpf.dsl import ArrayMap, compile_probe, probe, u64
from pybpf.dsl import lineinfo
from pybpf.kernel import btf
counts = ArrayMap(u64)
"""

CASES = {
    "DSL front end": (DSL, ("dataclasses", "inspect", "pathlib", "threading", "json",
                            "pybpf.btf.types", "pybpf.elf")),
    "import pybpf": ("import pybpf", HEAVY + ("re", "enum", "pybpf.isa", "pybpf.kernel")),
    "pybpf --help parser": ("from pybpf.cli import build_parser; build_parser()",
                            HEAVY + ("pybpf.isa", "pybpf.btf", "pybpf.kernel", "pybpf.verifier")),
    "counter (builder, load, tracepoint)": (COUNTER, HEAVY + ("re", "pybpf.btf", "pybpf.verifier",
                                                              "pybpf.kernel.link.tracing")),
    "clang object loader": (
        "from pybpf.elf.loader import BpfObject\nfrom pybpf.elf.reader import ElfReader\n"
        "from pybpf.btf import Btf, types, ext",
        HEAVY + ("elftools", "re", "pybpf.verifier")),
    "assembler": ("import pybpf.asm; pybpf.asm.assemble('r0 = 1\\nexit')",
                  HEAVY + ("pybpf.kernel",)),
    "pybpf asm of two lines": (
        "import os\n"
        "from pybpf.cli import main\n"
        "src, out = f'/tmp/pybpf-startup-{os.getpid()}.s', f'/tmp/pybpf-startup-{os.getpid()}.bin'\n"
        "open(src, 'w').write('r0 = 1\\nexit\\n')\n"
        "assert main(['asm', src, '-o', out]) == 0\n"
        "assert open(out, 'rb').read() == bytes.fromhex('b7000000010000009500000000000000')\n"
        "os.remove(src), os.remove(out)",
        HEAVY + ("pybpf.elf", "pybpf.btf", "pybpf.kernel", "pybpf.verifier")),
}


def imported(code: str) -> dict[str, str | None]:
    """Modules a fresh interpreter has after running ``code``, each with the module whose
    import brought it in (from -X importtime's nesting). No site (-S): an editable install's
    import hook would load half of these modules itself; pybpf comes from the tree."""
    proc = subprocess.run([sys.executable, "-S", "-X", "importtime", "-c",
                           code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = proc.stdout.strip().splitlines()[-1].split()
    parents: dict[str, str | None] = dict.fromkeys(loaded)
    entries = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "imported package" not in line:
            name = line.split("|")[2]
            entries.append(((len(name) - len(name.lstrip())) // 2, name.strip()))
    for i, (depth, name) in enumerate(entries):  # importtime prints children first
        for d2, n2 in entries[i + 1:]:
            if d2 < depth:
                parents[name] = n2
                break
    return parents


@pytest.mark.parametrize("case", sorted(CASES))
def test_entry_path_imports_no_heavy_module(case: str) -> None:
    code, banned = CASES[case]
    parents = imported(code)
    found = {}
    for module in banned:
        if module in parents:
            chain, m = [module], module
            while parents.get(m) and len(chain) < 12:
                m = parents[m]  # type: ignore[assignment]
                chain.append(m)
            found[module] = " <- ".join(chain)
    assert not found, f"{case} imports:\n" + "\n".join(found.values())


def test_kernel_names_still_resolve_lazily() -> None:
    import pybpf.kernel as kernel
    from pybpf.kernel import link

    for name in kernel.__all__:
        assert getattr(kernel, name) is not None, name
    for name in link.__all__:
        assert getattr(link, name) is not None, name
    assert callable(link.tracepoint) and callable(link.ATTACH["xdp"])
    assert sorted(link.ATTACH) == sorted(dict(link.ATTACH))


def test_attach_function_survives_its_submodule_import() -> None:
    import importlib

    from pybpf.kernel import link

    importlib.import_module("pybpf.kernel.link.xdp")  # the import system binds the name...
    assert callable(link.xdp) and link.xdp.__name__ == "xdp"  # ...to the function still
