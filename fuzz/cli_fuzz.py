#!/usr/bin/env python3
"""Fuzz every input parser the ``pybpf`` command exposes, through the command itself.

One target per parser: assembly text in the LLVM and the gas syntax, hex text, raw
bytecode, ELF objects, BTF, Python probe (DSL) source, ``.map`` lines and ``pybpf run
--mem`` vectors. Each input is a mutation of a seed (bytes flipped, words swapped for
words the parser knows or for garbage, lines dropped, repeated or cut) written to a file
and given to every command that reads that kind, called in-process as
``pybpf.cli.main([...])``; one input in ``--subprocess-every`` also runs as ``python -m
pybpf`` in a child process. A finding is:

- an exception out of ``main`` that is not a `PybpfError` (main turns those into exit 1),
  or a traceback on a child's stderr;
- a hang: an in-process call or a child still running after ``--timeout`` seconds (10) of
  its own CPU time, or blocked six times that long (wall clock less the time it ran or
  waited for a CPU: a shared machine's load stretches wall time, not these; the verifier's budget is 100,000 processed instructions here,
  ``--verifier-budget``: a program that runs to the kernel's 1,000,000 takes pybpf over a
  minute, which is the verifier's speed, measured apart, not a parser's hang);
- a leaked file descriptor: ``/proc/self/fd`` holds more after the call than before.

Each finding is written to ``--findings DIR`` (input, command, what happened) to become a
regression test or an ``@example``. Bounded and single-process, for a shared machine:

    python fuzz/cli_fuzz.py --duration 600           # a campaign, fresh seed
    python fuzz/cli_fuzz.py --examples 40 --seed 0   # what `make test` runs (tests/cli)
    python fuzz/cli_fuzz.py --replay fuzz-findings    # after a fix: which findings remain

The summary (inputs tried per target, findings by kind) is printed as one JSON document.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pybpf.cli import main  # noqa: E402
from pybpf.errors import PybpfError  # noqa: E402

# -- seeds -----------------------------------------------------------------------------------------

LLVM_SEEDS = [
    "r0 = 0\nr1 = 10\nloop:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto loop\nexit\n",
    ".section xdp\n.map hits array key=4 value=8 max_entries=1\nr1 = 0\n*(u32 *)(r10 - 4) = r1\n"
    "r2 = r10\nr2 += -4\nr1 = hits ll\ncall bpf_map_lookup_elem\nif r0 == 0 goto out\nr1 = 1\n"
    "lock *(u64 *)(r0 + 0) += r1\nout:\nr0 = 2\nexit\n",
    "r1 = 0x1122334455667788 ll\nw2 = (s8)w3\nr0 = bswap32 r0\nr0 = cmpxchg_64(r1 + 8, r0, r2)\n"
    "if w1 s> -5 goto +1\nr0 = *(u32 *)skb[r1 + 5]\ncall sub\nexit\nsub:\nr0 = 7\nexit\n",
    "0: (b7) r0 = 1\n1: (85) call bpf_ktime_get_ns#5\n2: (55) if r0 != 0x0 goto pc+1\n3: (95) exit\n"
    "4: (95) exit\n",
    ".map m ringbuf key=0 value=0 max_entries=4096\n.license GPL\nr1 = m ll\nr2 = 8\nr3 = 0\n"
    "call bpf_ringbuf_reserve\nr0 = 0\nexit\n",
]
GAS_SEEDS = [
    "mov %r0, 1\nmov %r1, 5\njgt %r1, 3, +1\nmov %r0, 2\nexit\n",
    "ldxw %r0, [%r1]\nadd %r0, 1\nstxdw [%r10-8], %r0\nlddw %r2, 0x1122334455667788\n"
    "call 5\njeq %r0, 0, +1\nexit\nexit\n",
    "-- asm\nmov32 %r0, 0\nle16 %r0\nneg %r0\nexit\n-- result\n0x0\n",
]
DSL_SEED = '''from pybpf.dsl import ArrayMap, HashMap, probe, u32, u64, pid

hits = ArrayMap(u64, max_entries=1)
seen = HashMap(u32, u64, max_entries=64)


@probe("raw_tracepoint/sys_enter")
def count(ctx):
    hits[0] += 1
    p: u32 = pid()
    n = seen.get(p, 0)
    if n > 10:
        return 0
    for i in range(4):
        n = n + i * 2
    seen[p] = n
    return 0
'''
MAP_TYPES = ["hash", "array", "percpu_array", "lru_hash", "ringbuf", "lpm_trie", "array_of_maps",
             "hash_of_maps", "stack_trace", "queue", "bloom_filter", "sk_storage", "blah", ""]

#: words the parsers know, and words that break them
WORDS = ["r0", "r1", "r10", "r11", "w0", "w15", "%r0", "%r12", "=", "+=", "s>>=", "goto", "+1",
         "-1", "+32767", "-32769", "0x7fffffff", "0x80000000", "0xffffffffffffffff", "ll", "exit",
         "call", "bpf_map_lookup_elm", "kfunc(bpf_x)", "kfunc(", "*(u64", "*)(r10", "-", "8)",
         "lock", "if", "(s8)", "bswap64", "be16", "le64", "ja", "gotol", "may_goto", "map_value(m)",
         "btf_id(x)", ".map", ".section", ".license", "xdp", "tp/a/b", "key=", "value=", "max_entries=",
         "flags=0x400", "inner=m", "#", ";", "//", ":", "loop:", "\t", "\x00", "é", "\u202e", "\\",
         "99999999999999999999999", "-0", "0b101", "0o17", "1e3", "{", "}", "0x", ",", "[", "]"]
PY_WORDS = ["hits", "seen", "pid()", "ctx", "ctx.args[0]", "0", "1 << 63", "-1", "u32", "u64",
            "return", "if", "else", "for", "while i < 3", "break", "continue", "del seen[p]",
            "hits.lookup(0)", "None", "is", "not", "and", "or", "+", "//", "%", "**", "lambda",
            "yield", "await", "[1, 2]", "'s'", "p.x", "seen[p][0]", "range(100000)", ":", "(", ")"]


def _objects(tmp: Path) -> list[bytes]:
    """Clang-built objects of tests/progs (when clang-19 is here), else llvm-mc-built ones,
    else none (the ELF and BTF targets then fuzz the ELF header alone)."""
    out = []
    arch = f"/usr/include/{os.uname().machine}-linux-gnu"
    if shutil.which("clang-19"):
        for name in ("cli_inputs", "subprogs", "maps_btf"):
            obj = tmp / f"{name}.o"
            res = subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-c",
                                  str(ROOT / "tests" / "progs" / f"{name}.bpf.c"), "-o", str(obj),
                                  f"-I{arch}", f"-I{ROOT / 'tests' / 'progs'}"], capture_output=True)
            if res.returncode == 0:
                out.append(obj.read_bytes())
    if not out and shutil.which("llvm-mc-19"):
        src = tmp / "seed.s"
        src.write_text('\t.section xdp,"ax"\n\t.globl prog\nprog:\n\tr0 = 2\n\texit\n'
                       '\t.section license,"aw"\n\t.asciz "GPL"\n')
        obj = tmp / "seed.o"
        subprocess.run(["llvm-mc-19", "-triple", "bpfel", "-filetype=obj", "-o", str(obj), str(src)],
                       check=True)
        out.append(obj.read_bytes())
    return out or [b"\x7fELF\x02\x01\x01" + bytes(57)]


def _btf_sections(objects: list[bytes]) -> list[bytes]:
    from pybpf.elf.reader import ElfReader

    out = []
    for data in objects:
        try:
            reader = ElfReader(data, "seed")
            sec = reader.section(".BTF")
            if sec is not None:
                out.append(bytes(reader.data(sec)))
        except PybpfError:
            continue
    return out or [bytes.fromhex("9feb010018000000")]


# -- mutation --------------------------------------------------------------------------------------


def mutate_text(text: str, rng: random.Random, words: list[str]) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randrange(len(lines))
        if op < 0.35:  # a word replaced by a word the parser knows (or garbage)
            parts = lines[i].split(" ")
            j = rng.randrange(len(parts))
            parts[j] = rng.choice(words)
            lines[i] = " ".join(parts)
        elif op < 0.5:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op < 0.6 and len(lines) > 1:
            del lines[i]
        elif op < 0.7:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op < 0.85 and lines[i]:
            pos = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:pos] + rng.choice(words + ["", " ", "\n"]) + lines[i][pos + 1:]
        elif op < 0.95:
            cut = sum(map(len, lines))
            joined = "".join(lines)[: rng.randrange(cut + 1)]
            lines = joined.splitlines(keepends=True) or [""]
        else:  # many copies: large inputs
            lines = lines * rng.randint(2, 50)
    return "".join(lines)


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        pos = rng.randrange(len(buf)) if buf else 0
        if op < 0.4 and buf:
            buf[pos] ^= 1 << rng.randrange(8)
        elif op < 0.65 and buf:  # an integer field set to an edge value
            width = rng.choice((1, 2, 4, 8))
            val = rng.choice((0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF,
                              rng.randrange(1 << 32))) & ((1 << (8 * width)) - 1)
            buf[pos:pos + width] = val.to_bytes(width, "little")[:max(len(buf) - pos, 0)]
        elif op < 0.75:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op < 0.9 and len(buf) > 8:
            del buf[pos:pos + rng.randint(1, 64)]
        else:
            buf = buf[: rng.randrange(max(len(buf), 1))]
    return bytes(buf)


def mutate_dsl(rng: random.Random) -> str:
    """The seed probe with its body (never the module-level code, which runs) mutated."""
    head, body = DSL_SEED.split("def count(ctx):\n")
    if rng.random() < 0.2:  # the map declarations' arguments
        head = head.replace("max_entries=64", f"max_entries={rng.choice([0, -1, 1 << 40, 'u32'])}")
    return head + "def count(ctx):\n" + mutate_text(body, rng, PY_WORDS)


def map_line(rng: random.Random) -> str:
    def num() -> str:
        return rng.choice(["0", "1", "4", "8", "5", "260", "4096", "4095", "32769", "0x400",
                           "4294967295", "4294967296", "-1", "x", "1" * 30])

    parts = [".map", rng.choice(["m", "inner", "2bad", "a.b", ""]), rng.choice(MAP_TYPES)]
    for key in ("key", "value", "max_entries", "flags", "inner", "extra", "key_size"):
        if rng.random() < 0.7:
            parts.append(f"{key}={rng.choice(['m', 'x', '']) if key == 'inner' else num()}")
    rng.shuffle(parts[3:])
    decl = " ".join(parts)
    prefix = ".map x array key=4 value=4 max_entries=1\n" if rng.random() < 0.3 else ""
    return prefix + decl + "\nr1 = m ll\nr0 = 0\nexit\n"


def mem_vector(rng: random.Random) -> str:
    alphabet = "0123456789abcdefABCDEF :,x-g\u00e9"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


# -- targets ---------------------------------------------------------------------------------------

Argvs = Callable[[str], list[list[str]]]


@dataclass
class Target:
    """One input parser: how to make an input, and the commands that read it."""

    name: str
    make: Callable[[random.Random], bytes]
    argvs: Argvs


def _program_verbs(path: str, syntax: str | None = None, kind: str | None = None) -> list[list[str]]:
    extra = (["--syntax", syntax] if syntax else []) + (["--input", kind] if kind else [])
    return [["asm", path, *extra], ["disasm", path, *(["--input", kind] if kind else [])],
            ["verify", path, "--type", "xdp", *extra],
            ["run", path, "--max-insns", "20000", *extra]]


def targets(tmp: Path) -> list[Target]:
    objects = _objects(tmp)
    btfs = _btf_sections(objects)
    codes = []
    from pybpf.asm import assemble

    for text in LLVM_SEEDS:
        try:
            codes.append(assemble(text).encode())
        except PybpfError:
            pass
    return [
        Target("asm-llvm", lambda r: mutate_text(r.choice(LLVM_SEEDS), r, WORDS).encode(),
               lambda p: _program_verbs(p, "llvm", "asm")),
        Target("asm-gas", lambda r: mutate_text(r.choice(GAS_SEEDS), r, WORDS).encode(),
               lambda p: _program_verbs(p, "gas")),
        Target("hex", lambda r: mutate_text(r.choice(codes).hex(" ", 1).replace(" ", " ", 7), r,
                                            ["zz", "0x", "0x1", ",", "{", "}", "/*", "*/", "#",
                                             "b7", "18", "95", "g0", "\u00e9"]).encode(),
               lambda p: _program_verbs(p, kind="hex")),
        Target("raw", lambda r: mutate_bytes(r.choice(codes), r),
               lambda p: _program_verbs(p, kind="raw")),
        Target("elf", lambda r: mutate_bytes(r.choice(objects), r),
               lambda p: [["disasm", p, "--input", "elf"], ["verify", p, "--input", "elf"],
                          ["asm", p, "--input", "elf", "--program", "pass_all"],
                          ["run", p, "--input", "elf", "--program", "pass_all",
                           "--max-insns", "20000"]]),
        Target("btf", lambda r: mutate_bytes(r.choice(btfs), r),
               lambda p: [["btf", "dump", "--format", "raw", p], ["btf", "dump", "--json", p],
                          ["btf", "dump", p]]),
        Target("dsl", lambda r: mutate_dsl(r).encode(),
               lambda p: [["verify", p, "--input", "dsl"], ["disasm", p, "--input", "dsl"],
                          ["run", p, "--input", "dsl", "--max-insns", "20000"]]),
        Target("map-line", lambda r: map_line(r).encode(),
               lambda p: [["asm", p, "--syntax", "llvm"], ["verify", p, "--type", "xdp"]]),
        Target("mem", lambda r: mem_vector(r).encode(),
               lambda p: [["run", str(tmp / "mem_prog.s"), "--mem", Path(p).read_text("utf-8")],
                          ["run", str(tmp / "mem_prog.s"), "--packet", Path(p).read_text("utf-8"),
                           "--prog-type", "xdp"]]),
    ]


MEM_PROG = "r0 = 0\nif r2 == 0 goto out\nr0 = *(u8 *)(r1 + 0)\nout:\nexit\n"
#: instructions the verifier may process per program here (the kernel's 1,000,000 takes
#: pybpf 60-90 s on a loop that only ends at that limit, the kernel 5 s: the parsers are what
#: this harness is after, so such a program stops at this budget with the same message)
VERIFIER_BUDGET = 100_000

# -- running ---------------------------------------------------------------------------------------


class Hang(Exception):
    """An in-process call ran past the timeout."""


@dataclass
class Finding:
    target: str
    argv: list[str]
    kind: str  # exception | hang | fd-leak | child
    detail: str
    input: bytes = b""


@dataclass
class Stats:
    tried: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    children: int = 0
    findings: list[Finding] = field(default_factory=list)


def _fds() -> set[str]:
    try:
        return set(os.listdir("/proc/self/fd"))
    except OSError:
        return set()


#: a call that waits (no CPU used) is a hang after this many times the timeout, wall-clock
WALL_FACTOR = 6


def _busy(pid: str | int = "self") -> float | None:
    """Seconds the task has run or waited for a CPU (``/proc/PID/schedstat``: time on a
    CPU, time on a run queue), or None where the kernel does not say."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            on_cpu, queued = f.read().split()[:2]
    except (OSError, ValueError):
        return None
    return (int(on_cpu) + int(queued)) / 1e9


def _blocked(start: float, busy0: float | None, pid: str | int = "self") -> float:
    """Wall-clock seconds since ``start`` the task spent neither running nor waiting for a
    CPU: what a hang on a wait is measured in (the campaign of docs/fuzzing.md had 9% of a
    CPU under nice 10, so calls of 5 s of CPU took 60 s of wall clock)."""
    busy = _busy(pid)
    elapsed = time.monotonic() - start
    return elapsed if busy is None or busy0 is None else elapsed - (busy - busy0)


def _waiting(wall: float) -> str:
    return f"still waiting after {wall:.0f}s (wall clock, less the time spent waiting for a CPU)"


@contextlib.contextmanager
def _deadline(seconds: float, wall: float | None = None) -> Iterator[None]:
    """Raise `Hang` once the call used ``seconds`` of CPU (ITIMER_PROF: this process's
    own time, which other engineers' load on a shared machine does not stretch) or was
    blocked ``wall`` seconds (wall clock less run and run-queue time, `_blocked`)."""
    wall = seconds * WALL_FACTOR if wall is None else wall
    start, busy0 = time.monotonic(), _busy()

    def cpu(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds:.0f}s of CPU")

    def waited(signum: int, frame: object) -> None:
        blocked = _blocked(start, busy0)
        if blocked >= wall:
            raise Hang(_waiting(wall))
        signal.setitimer(signal.ITIMER_REAL, max(wall - blocked, 0.2))  # starved, not stuck

    old_prof = signal.signal(signal.SIGPROF, cpu)
    old_alrm = signal.signal(signal.SIGALRM, waited)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, old_prof)
        signal.signal(signal.SIGALRM, old_alrm)


#: where the commands' output goes (a real file: `pybpf asm` writes bytes to stdout.buffer),
#: opened once so that its descriptor is there before and after every call
_SINK = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def call_in_process(argv: list[str], timeout: float, wall: float | None = None
                    ) -> tuple[str, str] | None:
    """None when ``main(argv)`` behaved, else (kind, detail): a hang is ``timeout`` seconds
    of CPU, or ``wall`` seconds (default `WALL_FACTOR` times ``timeout``) of waiting."""
    before = _fds()
    try:
        with _deadline(timeout, wall), contextlib.redirect_stdout(_SINK), contextlib.redirect_stderr(_SINK):
            main(argv)
    except SystemExit:  # argparse refusing the command line: a usage error, exit 2
        pass
    except Hang as exc:
        return "hang", str(exc)
    except Exception:  # noqa: BLE001 - what the fuzzer looks for
        return "exception", traceback.format_exc(limit=-6)
    leaked = _fds() - before
    if leaked:
        targets_ = []
        for fd in sorted(leaked):
            try:
                targets_.append(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
            except OSError:
                targets_.append(fd)
        for fd in leaked:  # close them, or every later call would report them again
            with contextlib.suppress(OSError, ValueError):
                os.close(int(fd))
        return "fd-leak", ", ".join(targets_)
    return None


_CHILD = ("import sys; import pybpf.verifier.explore as E; E.MAX_PROCESSED = int(sys.argv[1]); "
          "from pybpf.cli import main; sys.exit(main(sys.argv[2:]))")


def call_in_child(argv: list[str], timeout: float) -> tuple[str, str] | None:
    """None when ``pybpf ARGV`` in a child process behaved (with the verifier budget of this
    process), else (kind, detail)."""
    from pybpf.verifier import explore

    cpu = max(1, math.ceil(timeout))

    def limit_cpu() -> None:  # SIGXCPU after `cpu` seconds of the child's own CPU time
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    wall = timeout * WALL_FACTOR
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(explore.MAX_PROCESSED), *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            preexec_fn=limit_cpu)
    start, busy0 = time.monotonic(), _busy(proc.pid)
    while True:
        try:
            _out, err_bytes = proc.communicate(timeout=1.0)
            break
        except subprocess.TimeoutExpired:
            if _blocked(start, busy0, proc.pid) >= wall:
                proc.kill()
                proc.communicate()
                return "hang", "child " + _waiting(wall)
    if proc.returncode == -signal.SIGXCPU:
        return "hang", f"child used {cpu}s of CPU"
    err = err_bytes.decode("utf-8", "replace")
    if "Traceback (most recent call last)" in err or proc.returncode not in (0, 1, 2):
        return "child", f"exit {proc.returncode}: {err[-2000:]}"
    return None


def run(*, duration: float | None = None, examples: int | None = None, seed: int | None = None,
        timeout: float = 10.0, subprocess_every: int = 200, findings_dir: Path | None = None,
        only: list[str] | None = None, log: Callable[[str], None] | None = None,
        verifier_budget: int | None = VERIFIER_BUDGET) -> Stats:
    """Fuzz until ``duration`` seconds pass or every target had ``examples`` inputs."""
    from pybpf.verifier import explore

    saved = explore.MAX_PROCESSED
    if verifier_budget is not None:
        explore.MAX_PROCESSED = verifier_budget
    try:
        return _run(duration, examples, seed, timeout, subprocess_every, findings_dir, only, log)
    finally:
        explore.MAX_PROCESSED = saved


def _run(duration: float | None, examples: int | None, seed: int | None, timeout: float,
         subprocess_every: int, findings_dir: Path | None, only: list[str] | None,
         log: Callable[[str], None] | None) -> Stats:
    seed = seed if seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    stats = Stats()
    with tempfile.TemporaryDirectory(prefix="pybpf-cli-fuzz-") as d:
        tmp = Path(d)
        (tmp / "mem_prog.s").write_text(MEM_PROG)
        all_targets = [t for t in targets(tmp) if not only or t.name in only]
        start = time.monotonic()
        n = 0
        while True:
            if duration is not None and time.monotonic() - start >= duration:
                break
            if examples is not None and n >= examples * len(all_targets):
                break
            target = all_targets[n % len(all_targets)]
            n += 1
            data = target.make(rng)
            path = tmp / f"input-{target.name}"
            path.write_bytes(data)
            stats.tried[target.name] = stats.tried.get(target.name, 0) + 1
            child = subprocess_every > 0 and n % subprocess_every == 0
            for argv in target.argvs(str(path)):
                stats.calls += 1
                found = call_in_process(argv, timeout)
                if found is None and child:
                    stats.children += 1
                    found = call_in_child(argv, timeout)
                if found is not None:
                    f = Finding(target.name, argv, found[0], found[1], data)
                    stats.findings.append(f)
                    if log is not None:
                        log(f"finding {len(stats.findings)}: {f.target} {f.kind}: {' '.join(argv)}\n"
                            f"{f.detail}")
                    if findings_dir is not None:
                        _save(findings_dir, len(stats.findings), f)
    stats.tried["_seed"] = seed
    return stats


def _save(d: Path, number: int, f: Finding) -> None:
    d.mkdir(parents=True, exist_ok=True)
    base = d / f"{number:04d}-{f.target}-{f.kind}"
    base.with_suffix(".input").write_bytes(f.input)
    base.with_suffix(".txt").write_text(f"pybpf {' '.join(f.argv)}\n\n{f.detail}\n")


def replay(findings_dir: Path, timeout: float = 10.0) -> list[tuple[str, str, tuple[str, str] | None]]:
    """Run each saved finding (``NNNN-TARGET-KIND.input``) again through every command of
    its target, in process and as a child: (file, command, what happened or None)."""
    from pybpf.verifier import explore

    saved = explore.MAX_PROCESSED
    explore.MAX_PROCESSED = VERIFIER_BUDGET
    out: list[tuple[str, str, tuple[str, str] | None]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="pybpf-cli-replay-") as d:
            tmp = Path(d)
            (tmp / "mem_prog.s").write_text(MEM_PROG)
            by_name = {t.name: t for t in targets(tmp)}
            for f in sorted(findings_dir.glob("*.input")):
                name = f.stem.split("-", 1)[1].rsplit("-", 1)[0]
                path = tmp / f"input-{name}"
                path.write_bytes(f.read_bytes())
                for argv in by_name[name].argvs(str(path)):
                    found = call_in_process(argv, timeout) or call_in_child(argv, timeout)
                    out.append((f.name, " ".join(argv), found))
    finally:
        explore.MAX_PROCESSED = saved
    return out


def main_(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, help="seconds to fuzz (default: until --examples)")
    ap.add_argument("--examples", type=int, help="inputs per target (default 200 without --duration)")
    ap.add_argument("--seed", type=int, help="random seed (default: a fresh one, printed)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds of CPU (x6 of wall clock) before a call is a hang")
    ap.add_argument("--subprocess-every", type=int, default=200,
                    help="also run every Nth input's commands as a child process (0: never)")
    ap.add_argument("--target", action="append", help="only this target (repeatable)")
    ap.add_argument("--findings", type=Path, default=Path("fuzz-findings"),
                    help="directory for findings (default ./fuzz-findings)")
    ap.add_argument("--verifier-budget", type=int, default=VERIFIER_BUDGET,
                    help="instructions the verifier processes per program before 'too large' "
                    f"(default {VERIFIER_BUDGET:,}; the kernel's is 1,000,000)")
    ap.add_argument("--replay", type=Path, metavar="DIR",
                    help="run the findings saved in DIR again (after a fix) and say which remain")
    args = ap.parse_args(argv)
    if args.replay is not None:
        remain = 0
        for name, cmd, found in replay(args.replay, args.timeout):
            remain += found is not None
            print(f"{name}: pybpf {cmd}: {'ok' if found is None else found[0] + ': ' + found[1]}")
        return 1 if remain else 0
    if args.duration is None and args.examples is None:
        args.examples = 200
    # bounded on a shared machine: 4 GiB of address space, so a runaway allocation is a
    # MemoryError (a finding), never the OOM killer
    limit = 4 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    started = time.monotonic()
    stats = run(duration=args.duration, examples=args.examples, seed=args.seed,
                timeout=args.timeout, subprocess_every=args.subprocess_every,
                findings_dir=args.findings, only=args.target,
                log=lambda s: print(s, file=sys.stderr, flush=True),
                verifier_budget=args.verifier_budget)
    kinds: dict[str, int] = {}
    for f in stats.findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    seed = stats.tried.pop("_seed")
    print(json.dumps({"seed": seed, "seconds": round(time.monotonic() - started, 1),
                      "inputs": stats.tried, "inputs_total": sum(stats.tried.values()),
                      "calls": stats.calls, "child_calls": stats.children,
                      "cpu_seconds": round(sum(getattr(resource.getrusage(who), f) for who in (
                          resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                          for f in ("ru_utime", "ru_stime")), 1),
                      "findings": kinds, "findings_total": len(stats.findings)}))
    return 1 if stats.findings else 0


if __name__ == "__main__":
    sys.exit(main_())
