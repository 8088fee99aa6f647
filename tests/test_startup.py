"""Start-up stays lean: the modules each entry path imports (not timed: benchmarks/startup.py
times the processes; this holds the import graph that makes them fast).

Each case runs a fresh interpreter that imports an entry path and prints the modules it
loaded; heavy modules that path does not need must be absent. A new top-level import of
``dataclasses``, ``typing``, ``re``, ``pathlib``... on one of these paths fails here, naming
the chain of importers that brought it in.
"""

from __future__ import annotations

import os

import pytest

from tests._startup_probe import banned_imports

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
#: line info (which writes its BTF blob itself), the kernel's BTF loader
DSL = """
from pybpf.dsl import ArrayMap, compile_probe, probe, u64
from pybpf.dsl import lineinfo
from pybpf.kernel import btf
counts = ArrayMap(u64)
"""

#: the standard modules pybpf's own small helpers replace on the counter's path: namedtuple
#: (pybpf._tuple), importlib's import_module (__import__), types.ModuleType (type(sys)),
#: operator's attrgetter (_operator's), mmap.PAGESIZE (os.sysconf's)
STDLIB_SMALL = ("collections", "importlib", "types", "operator", "mmap")

#: the modules of pybpf a program's start-up never needs: the printers (building or assembling
#: prints nothing), the local-storage map kinds (registered at their first use), the BTF parser
#: (loading a line-info blob parses nothing)
IDLE = ("pybpf.asm.llvm.printer", "pybpf.asm.kernel_print", "pybpf.asm.listing",
        "pybpf.kernel.maps.storage")

#: the standard enum module and what it imports: pybpf's tables are pybpf._enum classes
ENUM = ("enum", "functools", "contextlib")

#: the DSL counter of benchmarks/startup.py compiled (not loaded): a probe that never reads
#: its context parses no tracepoint format (re), and printf's pattern waits for a printf
DSL_COMPILED = """
import os, sys
sys.dont_write_bytecode = True
d = f"/tmp/pybpf-startup-{os.getpid()}"
os.makedirs(d, exist_ok=True)
open(d + "/startup_counter.py", "w").write(
    "from pybpf.dsl import ArrayMap, probe, u64\\n"
    "counts = ArrayMap(u64)\\n"
    "@probe('tracepoint/syscalls/sys_enter_getpid')\\n"
    "def count(ctx):\\n"
    "    counts[0] += 1\\n")
sys.path.insert(0, d)
import startup_counter
assert startup_counter.count.programs()
os.remove(d + "/startup_counter.py"), os.rmdir(d)
"""

#: the compiler's parts a probe of plain maps, no calls and no strings never needs (each
#: imported at its first use): bpftrace's maps and aggregations, the builtins' and helpers'
#: tables, subprograms, bare builtins, the shared program state and its event records, the
#: types of kernel pointers, stacks and blobs
DSL_UNUSED = ("pybpf.dsl.stubs", "pybpf.dsl.automap", "pybpf.dsl.aggregate", "pybpf.dsl.library",
              "pybpf.dsl.events", "pybpf.dsl.cformat", "pybpf.dsl.helpers", "pybpf.dsl.subprogs",
              "pybpf.dsl.barenames", "pybpf.dsl.state", "pybpf.dsl.strings", "pybpf.dsl.valtypes")

CASES = {
    "DSL front end": (DSL, ("dataclasses", "inspect", "pathlib", "threading", "json", "typing",
                            "re", "copy", "weakref", "tokenize", "linecache",
                            "pybpf.btf.types", "pybpf.btf.parse", "pybpf.elf", "ast",
                            # line info writes its small BTF itself
                            "pybpf.btf", "pybpf.btf.writer", "pybpf.btf.format")
                      + ENUM + IDLE + STDLIB_SMALL),
    # the names a probe file imports: the compiler waits for a compile (a probe kept by
    # pybpf.dsl.cache loads without it), the stubs and bpftrace maps for their first use
    "DSL probe file's imports": (
        "from pybpf.dsl import ArrayMap, HashMap, Session, probe, u32, u64",
        HEAVY + ENUM + ("re", "_ast", "pybpf.dsl.compiler", "pybpf.dsl.stubs",
                        "pybpf.dsl.automap", "pybpf.dsl.events", "pybpf.dsl.state")),
    "import pybpf": ("import pybpf", HEAVY + ("re", "enum", "pybpf.isa", "pybpf.kernel")),
    "pybpf --help parser": ("from pybpf.cli import build_parser; build_parser()",
                            HEAVY + ("pybpf.isa", "pybpf.btf", "pybpf.kernel", "pybpf.verifier")),
    "counter (builder, load, tracepoint)": (COUNTER, HEAVY + ENUM + ("re", "pybpf.btf", "pybpf.verifier",
                                                                     "pybpf.kernel.link.tracing")
                                            + IDLE + STDLIB_SMALL),
    "clang object loader": (
        "from pybpf.elf.loader import BpfObject\nfrom pybpf.elf.reader import ElfReader\n"
        "from pybpf.btf import Btf, types, ext",
        HEAVY + ENUM + ("elftools", "re", "copy", "pybpf.verifier", "importlib", "types")),
    # an object's .BTF parsed and one type decoded: no `array` (its import registers it with
    # collections.abc: `collections`, `keyword`, `operator`, `reprlib`)
    "small BTF blob parsed": (
        "from pybpf.btf import Btf\nfrom pybpf.btf.writer import BtfBuilder\n"
        "b = BtfBuilder(); b.add_int('int', 4, 1)\n"
        "btf = Btf(b.encode()); assert btf[1].name == 'int' and btf.find('int') == 1",
        HEAVY + ENUM + ("array", "collections", "re", "copy", "importlib", "types")),
    "assembler": ("import pybpf.asm; pybpf.asm.assemble('r0 = 1\\nexit')",
                  HEAVY + ("pybpf.kernel",) + IDLE),
    # a short plain program is read without the parser's regexes (pybpf.asm.llvm.plain)
    "assembler, the counter's program": (
        "import pybpf.asm; pybpf.asm.assemble('r1 = 0\\n*(u32 *)(r10 - 4) = r1\\nr2 = r10\\n"
        "r2 += -4\\nr1 = counts ll\\ncall bpf_map_lookup_elem\\nif r0 == 0 goto out\\n"
        "lock *(u64 *)(r0 + 0) += r1\\nout:\\nr0 = 0\\nexit\\n"
        ".map counts array key=4 value=8 max_entries=1')",
        HEAVY + ENUM + ("re", "pybpf.asm.llvm.parser", "pybpf.kernel", "collections") + IDLE),
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


@pytest.mark.parametrize("case", sorted(CASES))
def test_entry_path_imports_no_heavy_module(case: str) -> None:
    code, banned = CASES[case]
    found = banned_imports(code, banned)
    assert not found, f"{case} imports:\n" + "\n".join(found.values())


@pytest.mark.kernel
def test_dsl_probe_compiles_without_re_or_typing() -> None:
    """Compiling reads the tracefs (the tracepoint must exist), so it runs where one is."""
    if os.geteuid() != 0 or not os.path.isdir("/sys/kernel/tracing/events/syscalls"):
        pytest.skip("needs root and the tracefs")
    found = banned_imports(DSL_COMPILED, ("re", "typing", "copy", "tokenize", "dataclasses",
                                          "inspect", "ast") + ENUM + IDLE + DSL_UNUSED)
    assert not found, "compiling the DSL counter imports:\n" + "\n".join(found.values())


def test_lazy_names_resolve() -> None:
    """What the lazy paths defer is still there on first use."""
    import pybpf.asm
    from pybpf.asm.llvm import printer
    from pybpf.kernel import maps

    assert pybpf.asm.UNKNOWN == printer.UNKNOWN
    assert pybpf.asm.llvm_print is printer and pybpf.asm.kernel_print.format_insn
    assert maps.map_class("sk_storage") is maps.SkStorageMap
    assert maps.map_class("task_storage") is maps.TaskStorageMap
    assert maps.map_class("hash") is maps.HashMap


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
