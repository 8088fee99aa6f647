"""The C verifier corpus: real-style clang objects, the live kernel's verdicts, pybpf's.

``tests/verifier/c/<family>/*.bpf.c`` are C programs written for this project in the
style of real tools (CO-RE tracing, packet parsers, cgroup and sock programs, kfunc
users...) and of their common mistakes. Each is compiled with clang-19 ``-O2 -g
-target bpf`` for ``-mcpu=v2``, ``v3`` and ``v4`` against a ``vmlinux.h`` printed
from the running kernel's BTF and libbpf-dev's headers. Then every program of every
object is

- loaded into the running kernel the way libbpf does (`pybpf.elf.loader.BpfObject`:
  maps, global data, CO-RE, kfunc/ksym externs, BTF func/line info), which gives
  the kernel's verdict, failing instruction, message and processed-instruction count;
- verified by pybpf on the same instructions (`BpfObject.verify`).

Nothing about the expected outcome is written in a source file: the kernel's answer
at test time is the truth (a header comment may say what a program is meant to show).

`figures` computes issue 15's measures over the results: verdict agreement, same
instruction and message on the kernel's rejections, processed instructions within
±10% on the kernel's acceptances, and programs pybpf verified without an error.

Compiling is the slow part; objects are cached by the hash of everything that goes
into them (source, headers, vmlinux.h, clang version, flags) in
``$PYBPF_CORPUS_CACHE`` (default: ``<tmp>/pybpf-c-corpus``), so a session compiles
once. A precompiled vmlinux.h per CPU version makes the first build ~5x faster.

>>> Result("a.bpf.c", "trace", "v3", "p", "tp", True, pybpf_accepted=True).verdict_agrees
True
"""
from __future__ import annotations

import errno
import functools
import hashlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .suite_format import kernel_error

CORPUS_DIR = Path(__file__).parent / "c"
INCLUDE_DIR = CORPUS_DIR / "include"
CPUS = ("v2", "v3", "v4")
CLANG = "clang-19"
CFLAGS = ("-O2", "-g", "-target", "bpf", "-D__TARGET_ARCH_x86", "-Wno-unused-value", "-Wno-pointer-sign",
          "-Wno-compare-distinct-pointer-types", "-Wno-int-conversion",
          "-Wno-incompatible-pointer-types")
#: pybpf's limit per program in CPU seconds: issue 15's bound (no program over 30 s). The
#: slowest program, loop/loop_maps.bpf.c:hist_sum, walks to the kernel's 8,192 pending
#: branches in 4-5 s of CPU on a quiet machine, and CPU time itself grows under a loaded
#: machine's contention, so a tighter limit would make a verdict depend on the load;
#: speed is measured by benchmarks/verifier.py, not here
PYBPF_TIMEOUT_S = 30.0
#: issue 15's targets
TARGETS = {"verdict": 0.99, "insn_message": 0.95, "processed": 0.90, "no_error": 1.0}
_ARCH_INCLUDE = "/usr/include/x86_64-linux-gnu"


# -- sources ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """One corpus file: its path relative to the corpus and its family (its folder)."""

    path: Path

    @property
    def rel(self) -> str:
        return self.path.relative_to(CORPUS_DIR).as_posix()

    @property
    def family(self) -> str:
        return self.path.parent.name

    @property
    def about(self) -> str:
        """The first line of the file's header comment (what it is meant to show)."""
        for line in self.path.read_text().splitlines():
            line = line.strip().lstrip("/*").strip()
            if line:
                return line
        return ""


def sources(pattern: str | None = None) -> list[Source]:
    """Every ``*.bpf.c`` of the corpus (optionally those whose path contains ``pattern``)."""
    out = [Source(p) for p in sorted(CORPUS_DIR.glob("*/*.bpf.c"))]
    return [s for s in out if pattern is None or pattern in s.rel]


# -- building ---------------------------------------------------------------------------
class CompileError(Exception):
    """clang refused a corpus file (names the file, the CPU version and clang's message)."""


def cache_dir() -> Path:
    d = Path(os.environ.get("PYBPF_CORPUS_CACHE") or Path(tempfile.gettempdir()) / "pybpf-c-corpus")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def path_independent_flags(cache: Path) -> list[str]:
    """clang flags that write the checkout's and the cache's paths as ``.`` and ``CACHE`` in
    an object (BTF line info names each source file): the objects of two checkouts at other
    paths are the same bytes, so what a kernel answered about one (the vmtest cache, the
    kernel answers kept beside each object) answers for the other."""
    return [f"-ffile-prefix-map={CORPUS_DIR.parents[2]}=.", f"-ffile-prefix-map={cache}=CACHE"]


def clang_version() -> str:
    return subprocess.run([CLANG, "--version"], capture_output=True, text=True,
                          check=True).stdout.splitlines()[0]


def vmlinux_header(cache: Path) -> Path:
    """``vmlinux.h`` of the running kernel, printed by pybpf's BTF printer (cached by BTF hash)."""
    from pybpf.btf import vmlinux
    from pybpf.btf.cprint import to_c

    digest = hashlib.sha256(Path("/sys/kernel/btf/vmlinux").read_bytes()).hexdigest()[:16]
    d = cache / f"vmlinux-{digest}"
    header = d / "vmlinux.h"
    if not header.exists():
        d.mkdir(exist_ok=True)
        _atomic_write(header, to_c(vmlinux()).encode())
    return header


class Builder:
    """Compiles corpus files for each CPU version, with a cache and a vmlinux.h PCH."""

    def __init__(self, cache: Path | None = None, jobs: int = 2) -> None:
        self.cache = cache or cache_dir()
        self.jobs = jobs
        self.header = vmlinux_header(self.cache)
        self.clang = clang_version()
        self._inputs = hashlib.sha256()
        self._inputs.update(self.clang.encode())
        self._inputs.update(" ".join((*CFLAGS, "-ffile-prefix-map")).encode())
        self._inputs.update(self.header.parent.name.encode())
        for h in sorted(INCLUDE_DIR.glob("*.h")):
            self._inputs.update(h.name.encode() + h.read_bytes())
        for h in sorted(Path("/usr/include/bpf").glob("*.h")):
            self._inputs.update(h.name.encode() + h.read_bytes())
        self.compiled = 0

    def flags(self, cpu: str) -> list[str]:
        return [*CFLAGS, f"-mcpu={cpu}", f"-I{self.header.parent}", f"-I{INCLUDE_DIR}",
                f"-I{_ARCH_INCLUDE}", *path_independent_flags(self.cache)]

    def pch(self, cpu: str) -> Path:
        pch = self.header.parent / f"vmlinux-{cpu}-{hashlib.sha256(self.clang.encode()).hexdigest()[:8]}.pch"
        if not pch.exists():
            tmp = pch.with_name(f".{pch.name}.{os.getpid()}.tmp")
            res = subprocess.run([CLANG, *self.flags(cpu), "-x", "c-header", str(self.header),
                                  "-o", str(tmp)], capture_output=True, text=True)
            if res.returncode:
                raise CompileError(f"precompiling vmlinux.h for -mcpu={cpu}: {res.stderr[-2000:]}")
            os.replace(tmp, pch)
        return pch

    def object_path(self, src: Source, cpu: str) -> Path:
        h = self._inputs.copy()
        h.update(cpu.encode() + src.path.read_bytes())
        stem = src.path.name.removesuffix(".bpf.c")
        return self.cache / "obj" / f"{src.family}-{stem}-{cpu}-{h.hexdigest()[:16]}.bpf.o"

    def _compile(self, src: Source, cpu: str, out: Path) -> None:
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        cmd = [CLANG, *self.flags(cpu), "-include-pch", str(self.pch(cpu)), "-c", str(src.path),
               "-o", str(tmp)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            tmp.unlink(missing_ok=True)
            raise CompileError(f"{src.rel} (-mcpu={cpu}): {res.stderr.strip()[-3000:]}")
        # the DWARF sections are most of the object and no loader reads them
        subprocess.run(["llvm-objcopy-19", "--strip-debug", str(tmp)], check=True)
        os.replace(tmp, out)
        self.compiled += 1

    def build(self, srcs: Iterable[Source], cpus: Iterable[str] = CPUS) \
            -> dict[tuple[str, str], Path | CompileError]:
        """``(source rel, cpu) -> object path`` (or the `CompileError`), compiling what is missing."""
        (self.cache / "obj").mkdir(exist_ok=True)
        jobs = [(s, c, self.object_path(s, c)) for s in srcs for c in cpus]
        todo = [(s, c, p) for s, c, p in jobs if not p.exists()]
        for cpu in {c for _s, c, _p in todo}:
            self.pch(cpu)
        out: dict[tuple[str, str], Path | CompileError] = {}

        def one(job: tuple[Source, str, Path]) -> tuple[tuple[str, str], Path | CompileError]:
            s, c, p = job
            try:
                self._compile(s, c, p)
            except CompileError as e:
                return (s.rel, c), e
            return (s.rel, c), p

        with ThreadPoolExecutor(self.jobs) as pool:
            out.update(pool.map(one, todo))
        for s, c, p in jobs:
            out.setdefault((s.rel, c), p)
        return out


# -- one program, two verifiers -----------------------------------------------------------
@dataclass
class Result:
    """One program of one object: the kernel's verdict and pybpf's."""

    source: str
    family: str
    cpu: str
    program: str
    section: str
    kernel_accepted: bool | None
    kernel_insn: int | None = None
    kernel_message: str | None = None
    kernel_processed: int | None = None
    kernel_time_us: int | None = None
    pybpf_accepted: bool | None = None
    pybpf_insn: int | None = None
    pybpf_message: str | None = None
    pybpf_processed: int | None = None
    pybpf_class: str | None = None
    pybpf_error: str | None = None  # pybpf raised, timed out or answered "unsupported"
    pybpf_seconds: float = 0.0
    kernel_seconds: float = 0.0

    @property
    def verdict_agrees(self) -> bool:
        return self.pybpf_error is None and self.pybpf_accepted == self.kernel_accepted

    @property
    def same_insn_message(self) -> bool:
        return (self.verdict_agrees and self.kernel_accepted is False
                and self.pybpf_insn == self.kernel_insn and self.pybpf_message == self.kernel_message)

    @property
    def processed_close(self) -> bool:
        k, p = self.kernel_processed, self.pybpf_processed
        return (self.verdict_agrees and bool(self.kernel_accepted) and k is not None and p is not None
                and abs(p - k) <= 0.10 * k)

    @property
    def key(self) -> str:
        return f"{self.source}[{self.cpu}]:{self.program}"

    def describe(self) -> str:
        def side(acc: bool | None, insn: int | None, msg: str | None, n: int | None) -> str:
            if acc:
                return f"accept ({n} insns)"
            return f"reject at {insn}: {(msg or '').splitlines()[-1:] or ''}"
        if self.pybpf_error:
            pyb = f"ERROR {self.pybpf_error}"
        else:
            pyb = side(self.pybpf_accepted, self.pybpf_insn, self.pybpf_message, self.pybpf_processed)
        kern = side(self.kernel_accepted, self.kernel_insn, self.kernel_message, self.kernel_processed)
        return f"{self.key}: kernel {kern}; pybpf {pyb}"

    def to_json(self) -> dict:
        return asdict(self)


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise `_Timeout` after ``seconds`` of this process's CPU time (not wall-clock
    time, so other tenants' load on the machine does not change a verdict)."""
    def fire(_sig, _frm):  # noqa: ANN001
        raise _Timeout()
    old = signal.signal(signal.SIGPROF, fire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


_TOO_LARGE = "BPF program is too large."


@contextmanager
def _log_tail_only(on: bool) -> Iterator[None]:
    """Keep the loader's first log buffer (no growing on ENOSPC) while ``on``: a program the
    kernel walks to its 1M-instruction limit logs far more than 16 MiB at level 1, and the
    rotating log's tail (the last instructions and the message) is all the harness reads."""
    if not on:
        yield
        return
    from pybpf.kernel import prog

    saved = prog.LOG_MAX
    prog.LOG_MAX = prog.LOG_START
    try:
        yield
    finally:
        prog.LOG_MAX = saved


def _kernel_side(obj, name: str, res: Result) -> None:  # noqa: ANN001
    """Load ``name`` (stats log); on rejection again at log level 1 for the instruction."""
    from pybpf.errors import KernelError, ProgLoadError, PybpfError

    try:
        lp = obj.load_program(name, log_level=4)
    except ProgLoadError as first:
        failure: ProgLoadError = first
        try:
            with _log_tail_only(_TOO_LARGE in (first.log or "")):
                lp = obj.load_program(name, log_level=1)
        except ProgLoadError as again:
            failure = again
        except (KernelError, PybpfError):
            pass
        if name not in obj.programs:
            res.kernel_accepted = False
            insn, lines = kernel_error(failure.log or "")
            res.kernel_insn = insn
            res.kernel_message = ("\n".join(lines) if lines
                                  else errno.errorcode.get(failure.errno, str(failure.errno)))
            return
        # accepted on the second try: the kernel's answer changed under us; keep the second
    except (KernelError, PybpfError) as e:
        res.kernel_accepted = False
        res.kernel_message = f"load failed: {e}"
        return
    res.kernel_accepted = True
    st = lp.prog.stats
    res.kernel_processed = st.processed_insns if st.processed_insns is not None else st.verified_insns
    res.kernel_time_us = st.verification_time_us
    lp.prog.close()
    del obj.programs[name]


def _pybpf_side(obj, name: str, res: Result, timeout: float) -> None:  # noqa: ANN001
    t0 = time.perf_counter()
    try:
        with _time_limit(timeout):
            report = obj.verify([name])[name]
    except _Timeout:
        res.pybpf_error = f"timeout after {timeout:g} s of CPU time"
        return
    except Exception as e:  # noqa: BLE001 - every failure of pybpf is a finding, not a crash
        res.pybpf_error = f"{type(e).__name__}: {e}"
        return
    finally:
        res.pybpf_seconds = time.perf_counter() - t0
    res.pybpf_accepted = report.accepted
    res.pybpf_insn = report.insn
    res.pybpf_message = report.message
    res.pybpf_processed = report.processed_insns
    res.pybpf_class = report.error_class
    if report.error_class == "unsupported":
        res.pybpf_error = f"unsupported: {report.message}"


def run_object(src: Source, cpu: str, obj_path: Path | CompileError, *,
               timeout: float = PYBPF_TIMEOUT_S, kernel: bool = True) -> list[Result]:
    """The results of every program of one object (an unreadable object gives one error)."""
    base = {"source": src.rel, "family": src.family, "cpu": cpu}
    if isinstance(obj_path, CompileError):
        return [Result(**base, program="?", section="?", kernel_accepted=None,
                       pybpf_error=f"compile: {obj_path}")]
    return run_path(obj_path, base, timeout=timeout, kernel=kernel)


def run_path(obj_path: Path, base: dict[str, str], *, timeout: float = PYBPF_TIMEOUT_S,
             kernel: bool = True, names: Iterable[str] | None = None,
             fresh_kernel: bool = False) -> list[Result]:
    """The results of the programs of the object at ``obj_path`` (all, or ``names``, in
    the object's order); ``base`` gives the `Result` fields source, family and cpu. The
    kernel's answers come from the object's `KernelAnswers` file when an earlier run wrote
    them (``fresh_kernel``: loaded again and not written)."""
    from pybpf.elf.loader import BpfObject

    if kernel:
        # the running kernel's measured profile (helpers, kfunc sets measured when asked),
        # as the test session and `pybpf verify` use it
        from pybpf.kernel.features import running_kernel_profile

        running_kernel_profile()
    wanted = set(names) if names is not None else None
    try:
        obj = BpfObject.open(str(obj_path))
    except Exception as e:  # noqa: BLE001
        return [Result(**base, program="?", section="?", kernel_accepted=None,
                       pybpf_error=f"{type(e).__name__}: {e}")]
    out = []
    answers = KernelAnswers(obj_path, fresh=fresh_kernel) if kernel else None
    with obj:
        for name, ps in obj.spec.programs.items():
            if wanted is not None and name not in wanted:
                continue
            res = Result(**base, program=name, section=ps.section, kernel_accepted=None)
            if answers is not None and not answers.fill(res):
                t0 = time.perf_counter()
                _kernel_side(obj, name, res)
                res.kernel_seconds = time.perf_counter() - t0
                answers.keep(res)
            _pybpf_side(obj, name, res, timeout)
            out.append(res)
    if answers is not None:
        answers.save()
    return out


#: the kernel's answer fields of a `Result` (what `KernelAnswers` keeps)
_KERNEL_FIELDS = ("kernel_accepted", "kernel_insn", "kernel_message", "kernel_processed",
                  "kernel_time_us")


@functools.cache
def _reader_hash() -> str:
    """A hash of the code that reads the kernel's answer (the log reader and the kernel side
    of the harness): answers read by another version of it are not reused."""
    from . import suite_format

    h = hashlib.sha256(Path(suite_format.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:8]


class KernelAnswers:
    """The running kernel's answers for the programs of one object, kept beside the object.

    The kernel's verdict on an object is a fact of the object's bytes and the kernel
    build: it is read from a file named by both (the object's name carries the hash of
    everything it is built from, `pybpf.verifier.kernel_profile.running_kernel_key` names
    the build, `_reader_hash` the harness code that read the log) when an earlier run on
    this kernel wrote it, else the program is loaded and
    the answer written. A program the kernel walks to its 1M-instruction limit takes the
    kernel seconds to refuse: the answers make a second run of the corpus mostly pybpf's
    time. ``PYBPF_CORPUS_KERNEL_CACHE=0`` loads every program again (and rewrites the file).
    """

    def __init__(self, obj_path: Path, *, fresh: bool = False) -> None:
        import json

        from pybpf.verifier.kernel_profile import running_kernel_key

        self.path = obj_path.with_name(
            f"{obj_path.name}.kernel-{running_kernel_key()}-{_reader_hash()}.json")
        self.answers: dict[str, dict] = {}
        self.changed = False
        self.used = 0
        self.fresh = fresh
        if not fresh and os.environ.get("PYBPF_CORPUS_KERNEL_CACHE", "1") != "0":
            try:
                self.answers = json.loads(self.path.read_text())
            except (OSError, ValueError):
                self.answers = {}

    def fill(self, res: Result) -> bool:
        """Fill ``res``'s kernel fields from the file (False: not answered there)."""
        got = self.answers.get(res.program)
        if not isinstance(got, dict) or got.get("kernel_accepted") is None:
            return False
        for k in _KERNEL_FIELDS:
            setattr(res, k, got.get(k))
        self.used += 1
        KernelAnswers.reused += 1
        return True

    def keep(self, res: Result) -> None:
        if self.fresh:
            return
        if res.kernel_accepted is None or (res.kernel_message or "").startswith("load failed"):
            return  # no answer of the verifier (the load failed before it): ask again next time
        self.answers[res.program] = {k: getattr(res, k) for k in _KERNEL_FIELDS}
        self.changed = True

    def save(self) -> None:
        import json

        if self.changed:
            try:
                _atomic_write(self.path, json.dumps(self.answers, sort_keys=True).encode())
            except OSError:
                pass  # a read-only cache: the answers still served this run

    #: programs answered from the files in this process (for the run's summary)
    reused = 0


def run_corpus(srcs: list[Source] | None = None, cpus: Iterable[str] = CPUS, *,
               builder: Builder | None = None, kernel: bool = True,
               timeout: float = PYBPF_TIMEOUT_S) -> list[Result]:
    """Build (cached) and run every program of the corpus through the kernel and pybpf."""
    srcs = sources() if srcs is None else srcs
    builder = builder or Builder()
    objs = builder.build(srcs, cpus)
    out: list[Result] = []
    for s in srcs:
        for c in cpus:
            out += run_object(s, c, objs[(s.rel, c)], timeout=timeout, kernel=kernel)
    return out


# -- the figures ------------------------------------------------------------------------
@dataclass
class Figures:
    """Issue 15's measures over a set of results."""

    programs: int
    verdict_agree: int
    rejections: int
    insn_message_agree: int
    accepted: int
    processed_close: int
    pybpf_errors: int
    by_family: dict[str, dict[str, int]] = field(default_factory=dict)

    @staticmethod
    def _ratio(n: int, d: int) -> float:
        return n / d if d else 1.0

    @property
    def verdict(self) -> float:
        return self._ratio(self.verdict_agree, self.programs)

    @property
    def insn_message(self) -> float:
        return self._ratio(self.insn_message_agree, self.rejections)

    @property
    def processed(self) -> float:
        return self._ratio(self.processed_close, self.accepted)

    @property
    def no_error(self) -> float:
        return self._ratio(self.programs - self.pybpf_errors, self.programs)

    def lines(self) -> list[str]:
        pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
        return [
            f"C corpus: {self.programs} programs (kernel: {self.accepted} accepted, "
            f"{self.rejections} rejected)",
            f"  verdict agreement            {pct(self.verdict):>7}  ({self.verdict_agree}/{self.programs})"
            f"   target >= {pct(TARGETS['verdict'])}",
            f"  same insn+message (rejects)  {pct(self.insn_message):>7}  "
            f"({self.insn_message_agree}/{self.rejections})   target >= {pct(TARGETS['insn_message'])}",
            f"  processed within 10% (acc.)  {pct(self.processed):>7}  "
            f"({self.processed_close}/{self.accepted})   target >= {pct(TARGETS['processed'])}",
            f"  verified without pybpf error {pct(self.no_error):>7}  "
            f"({self.programs - self.pybpf_errors}/{self.programs})   target 100%",
        ]

    def family_lines(self) -> list[str]:
        out = [f"  {'family':<10} {'progs':>6} {'acc':>5} {'rej':>5} {'verdict':>8} {'insn+msg':>9} "
               f"{'processed':>10} {'errors':>7}"]
        for fam, c in sorted(self.by_family.items()):
            out.append(f"  {fam:<10} {c['programs']:>6} {c['accepted']:>5} {c['rejections']:>5} "
                       f"{c['verdict']:>8} {c['insn_message']:>9} {c['processed']:>10} {c['errors']:>7}")
        return out


def figures(results: list[Result]) -> Figures:
    """Issue 15's figures over ``results``."""
    fam: dict[str, dict[str, int]] = {}
    for r in results:
        c = fam.setdefault(r.family, dict.fromkeys(
            ("programs", "accepted", "rejections", "verdict", "insn_message", "processed", "errors"), 0))
        c["programs"] += 1
        c["accepted"] += bool(r.kernel_accepted)
        c["rejections"] += r.kernel_accepted is False
        c["verdict"] += r.verdict_agrees
        c["insn_message"] += r.same_insn_message
        c["processed"] += r.processed_close
        c["errors"] += r.pybpf_error is not None
    tot = {k: sum(c[k] for c in fam.values()) for k in
           ("programs", "accepted", "rejections", "verdict", "insn_message", "processed", "errors")}
    return Figures(tot["programs"], tot["verdict"], tot["rejections"], tot["insn_message"],
                   tot["accepted"], tot["processed"], tot["errors"], fam)
