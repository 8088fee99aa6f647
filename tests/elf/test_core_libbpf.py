"""pybpf's relocated programs against libbpf's, instruction by instruction.

A small C program (``libbpf_dump.c``, built here with gcc against libbpf-dev) opens an
object with libbpf, runs ``bpf_object__load`` (relocation happens before the first
program is loaded, so it runs even when a program is then refused) and prints every
program's final instructions. pybpf's `BpfObject.prepare_program` must give the same
instructions: the same CO-RE results on every relocation kind (bitfields, narrow loads
adjusted or poisoned, flavors, enum values, type ids), the same subprogram layout and
the same kfunc/ksym BTF ids. Only map file descriptors differ (each loader has its own).
"""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from verifier import c_corpus as C  # tests/verifier (pytest puts tests/ on the path)

from pybpf.elf.loader import BpfObject
from pybpf.isa import RefKind

pytestmark = [pytest.mark.kernel, pytest.mark.clang]

HERE = Path(__file__).parent
PROGS = HERE.parent / "progs"

#: corpus files heavy in CO-RE, subprograms, kfuncs and global data
CORPUS_FILES = ["trace/tcp_state.bpf.c", "trace/core_variants.bpf.c", "trace/task_walk.bpf.c",
                "trace/execsnoop.bpf.c", "trace/syscall_counts.bpf.c", "kfunc/task_acquire.bpf.c",
                "kfunc/iter_num.bpf.c", "func/global_funcs.bpf.c", "sync/timers.bpf.c",
                "iter/iter_task.bpf.c"]
#: test programs compiled with the corpus flags
PROG_FILES = ["core_bitfields.bpf.c", "core.bpf.c"]
#: lddw source registers whose first immediate is a map fd, chosen by each loader
_MAP_SRCS = (1, 2)


@pytest.fixture(scope="module")
def libbpf_dump(tmp_path_factory):
    if shutil.which("gcc") is None or not Path("/usr/include/bpf/libbpf.h").exists():
        pytest.fail("gcc and libbpf-dev are needed (make deps installs them)")
    exe = tmp_path_factory.mktemp("libbpf") / "libbpf_dump"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(HERE / "libbpf_dump.c"), "-lbpf"],
                   check=True, capture_output=True)
    return exe


def _libbpf_programs(exe: Path, obj: Path) -> dict[str, list[tuple[int, ...]]]:
    out = subprocess.run([str(exe), str(obj)], capture_output=True, text=True, check=True).stdout
    progs: dict[str, list[tuple[int, ...]]] = {}
    cur: list[tuple[int, ...]] = []
    for line in out.splitlines():
        if line.startswith("prog "):
            cur = progs.setdefault(line.split()[1], [])
        elif not line.startswith("load "):
            cur.append(tuple(int(x) for x in line.split()))
    return progs


def _pybpf_slots(obj: BpfObject, name: str) -> list[tuple[int | None, ...]]:
    prog, _failures = obj.prepare_program(obj.spec.programs[name])
    slots: list[tuple[int | None, ...]] = []
    firsts = prog.slot_offsets()
    map_refs = {firsts[i]: ref for i, ref in prog.refs.items() if ref.kind is RefKind.MAP}
    for insn in prog.resolve():
        raw = insn.encode()
        for k in range(0, len(raw), 8):
            code, regs, off, imm = struct.unpack_from("<BBhi", raw, k)
            slots.append((code, regs & 0xF, regs >> 4, off, imm))
    for slot, ref in map_refs.items():
        code, dst, src, off, _imm = slots[slot]
        slots[slot] = (code, dst, src, off, None)  # the fd: each loader has its own
        nxt = slots[slot + 1]
        slots[slot + 1] = (*nxt[:4], ref.offset)
    return slots


def _objects() -> list[tuple[str, C.Source, str]]:
    out = []
    for rel in CORPUS_FILES:
        for cpu in C.CPUS:
            out.append((f"{rel}[{cpu}]", C.Source(C.CORPUS_DIR / rel), cpu))
    return out


@pytest.fixture(scope="module")
def builder():
    return C.Builder()


def _compare(exe: Path, path: Path) -> list[str]:
    theirs = _libbpf_programs(exe, path)
    obj = BpfObject.open(str(path))
    problems = []
    assert set(theirs) == set(obj.spec.programs), (sorted(theirs), sorted(obj.spec.programs))
    for name in obj.spec.programs:
        ours = _pybpf_slots(obj, name)
        lib = theirs[name]
        if len(ours) != len(lib):
            problems.append(f"{name}: {len(ours)} slots, libbpf {len(lib)}")
            continue
        for i, (a, b) in enumerate(zip(ours, lib, strict=True)):
            if any(x is not None and x != y for x, y in zip(a, b, strict=True)):
                problems.append(f"{name} slot {i}: pybpf {a}, libbpf {b}")
    return problems


@pytest.mark.parametrize("label,src,cpu", _objects(), ids=[o[0] for o in _objects()])
def test_corpus_object_relocated_like_libbpf(libbpf_dump, builder, label, src, cpu):
    path = builder.build([src], [cpu])[(src.rel, cpu)]
    assert not isinstance(path, C.CompileError), path
    problems = _compare(libbpf_dump, path)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("name", PROG_FILES)
@pytest.mark.parametrize("cpu", C.CPUS)
def test_core_programs_relocated_like_libbpf(libbpf_dump, builder, tmp_path, name, cpu):
    obj = tmp_path / name.replace(".c", ".o")
    cmd = [C.CLANG, *builder.flags(cpu), f"-I{PROGS}", "-c", str(PROGS / name), "-o", str(obj)]
    subprocess.run(cmd, check=True, capture_output=True)
    problems = _compare(libbpf_dump, obj)
    assert not problems, "\n".join(problems[:20])
