"""The verifier corpora on each kernel of the fleet, against pybpf's prediction for that kernel.

A corpus is a list of `CorpusProgram`s (the assembly suite ``tests/verifier/suite/*.s``, the
kernel-difference cases ``tests/verifier/kernels/*.s``, and the C corpus
``tests/verifier/c/`` once it has objects). `run` boots one kernel with all of them in one
batch (or replays them natively for the running kernel), `compare` verifies each with pybpf
under that kernel's profile, and `Summary` counts the agreement the project promises:
the same verdict on >= 99% of the programs, the same instruction and message lines on
>= 95% of the rejections.
"""
from __future__ import annotations

import errno
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pybpf.errors import PybpfError
from pybpf.verifier.kernel_profile import KernelProfile
from pybpf.verifier.kernel_profile import profile as kernel_profile

from . import cache, vm
from .batch import Batch, BatchError, ObjectBtf

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.verifier.suite_format import Case, assemble_case, kernel_error, load_suite  # noqa: E402

#: kernel verdicts recorded per kernel (what the last run of the harness saw)
RECORD_DIR = ROOT / "tests" / "verifier" / "kernels"
DIFF_DIR = RECORD_DIR / "cases"


@dataclass
class CorpusProgram:
    """One program of a corpus, ready to load and to verify. ``spec`` is a `ProgramSpec`, or a
    function of a kernel profile giving the one for that kernel (an object's program with its
    CO-RE relocations resolved against the kernel's BTF); ``maps`` declares the maps it uses
    when they are not its own (an object's)."""

    key: str
    corpus: str
    spec: Any
    prog_type: str
    attach: str | None = None
    maps: Any = None
    func_info: bool = False
    prog_flags: int = 0
    #: for an object's program: its BTF and func/line info (`batch.ObjectBtf`) for a given spec
    object_btf: Any = None
    #: why the harness cannot load it as the object's loader would ("" when it can)
    unsupported: str = ""
    #: (section kind, target) of a BTF-attached program (``("tp_btf", "sched_switch")``):
    #: its attach_btf_id is looked up in each kernel's own BTF
    attach_btf: tuple[str, str] | None = None
    #: pybpf's verdict for a kernel profile when the program needs more than `verify` of its
    #: spec (an object's program: its BTF, attach target, sleepable flag, .kconfig map)
    verifier: Any = None

    def spec_for(self, prof: KernelProfile) -> Any:
        return self.spec(prof) if callable(self.spec) else self.spec

    def attach_btf_id(self, prof: KernelProfile) -> int:
        """The attach target's BTF id in ``prof``'s kernel (0 for other programs)."""
        if self.attach_btf is None:
            return 0
        from pybpf.verifier.kernel_profile import using
        from pybpf.verifier.program_btf import attach_target

        with using(prof):
            return attach_target(*self.attach_btf)[0]


@dataclass
class Verdict:
    """A verdict with, for a rejection, the instruction index and message lines."""

    accepted: bool
    insn: int | None = None
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        if self.accepted:
            return {"verdict": "accept"}
        return {"verdict": "reject", "insn": self.insn, "message": self.messages}

    @classmethod
    def from_json(cls, doc: dict) -> Verdict:
        return cls(doc["verdict"] == "accept", doc.get("insn"), list(doc.get("message", [])))

    def short(self) -> str:
        return "accept" if self.accepted else f"reject@{self.insn}: {' / '.join(self.messages)}"


@dataclass
class Comparison:
    program: CorpusProgram
    kernel: Verdict
    pybpf: Verdict
    error: str | None = None

    @property
    def verdict_agrees(self) -> bool:
        return self.error is None and self.kernel.accepted == self.pybpf.accepted

    @property
    def message_agrees(self) -> bool:
        return self.verdict_agrees and (self.kernel.accepted or (
            self.kernel.insn == self.pybpf.insn and self.kernel.messages == self.pybpf.messages))


@dataclass
class Summary:
    kernel: str
    release: str
    seconds: float
    comparisons: list[Comparison]

    @property
    def programs(self) -> int:
        return len(self.comparisons)

    @property
    def verdicts_agreeing(self) -> int:
        return sum(c.verdict_agrees for c in self.comparisons)

    @property
    def rejections(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.kernel.accepted]

    @property
    def messages_agreeing(self) -> int:
        return sum(c.message_agrees for c in self.rejections)

    def line(self) -> str:
        rej = self.rejections
        return (f"{self.kernel:5} {self.release:28} {self.programs:4} programs  verdicts "
                f"{self.verdicts_agreeing}/{self.programs} ({self.verdicts_agreeing / self.programs:.1%})  "
                f"messages {self.messages_agreeing}/{len(rej)} "
                f"({self.messages_agreeing / max(len(rej), 1):.1%})  {self.seconds:.1f} s")


def suite_programs(cases: Iterable[Case] | None = None, corpus: str = "suite") -> list[CorpusProgram]:
    return [CorpusProgram(c.name, corpus, assemble_case(c), c.prog_type, c.attach)
            for c in (cases if cases is not None else load_suite())]


def difference_programs() -> list[CorpusProgram]:
    """The kernel-difference cases (``tests/verifier/kernels/cases/*.s``)."""
    if not DIFF_DIR.is_dir():
        return []
    return suite_programs(load_suite(DIFF_DIR), "differences")


EXAMPLES_DIR = ROOT / "examples" / "fleet"
#: corpora loaded into each kernel on every run, whatever its image's cache holds (`cache.run`):
#: every run boots each kernel of the fleet and checks it still answers as recorded
LIVE_CORPORA = frozenset({"examples"})
C_CORPUS_DIR = ROOT / "tests" / "verifier" / "c"


def _compiled(src: Path) -> Path:
    """``src`` compiled by clang-19 (-O2 -g, BPF target), cached by the source's hash."""
    import hashlib
    import os
    import subprocess

    # the checkout's path is written as "." (BTF line info names the source): the same object,
    # so the same kernel answers, in every checkout
    flags = ["-O2", "-g", "-target", "bpf", "-mcpu=v3", "-I/usr/include/x86_64-linux-gnu",
             f"-ffile-prefix-map={ROOT}=."]
    digest = hashlib.sha256(src.read_bytes() + " ".join(flags[:-1]).encode() + b" prefix-map").hexdigest()[:16]
    out = vm.cache_dir() / "objects" / f"{src.stem}-{digest}.o"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
        subprocess.run(["clang-19", *flags, "-c", str(src), "-o", str(tmp)],
                       check=True, capture_output=True)
        tmp.replace(out)
    return out


def object_programs(sources: Iterable[Path], corpus_name: str, *,
                    compiled: bool = False, labels: dict[Path, str] | None = None) -> list[CorpusProgram]:
    """Every program of each C source (or, with ``compiled``, each object), compiled; CO-RE
    resolved per kernel (none without clang-19). A program's key is ``LABEL:NAME``, the
    label being the file's name without extensions unless ``labels`` names it."""
    import shutil

    from pybpf.elf.loader import BpfObject

    out: list[CorpusProgram] = []
    if shutil.which("clang-19") is None:
        return out
    for src in sorted(sources):
        obj = BpfObject.open(str(src if compiled else _compiled(src)))
        maps = dict(obj.spec.maps)
        _local, ext = obj._local_btf()
        kbtf = obj._kernel_btf()
        for name, ps in obj.spec.programs.items():
            def info(spec: Any, ps: Any = ps, kbtf: Any = kbtf) -> ObjectBtf | None:
                if kbtf is None:
                    return None
                func_info, line_info = kbtf.prog_info(ps.placement, spec.slot_offsets())
                return ObjectBtf(kbtf.blob, func_info, line_info) if func_info else None

            kind = ps.section.lstrip("?").split("/", 1)[0]
            out.append(CorpusProgram(
                f"{(labels or {}).get(src) or src.name.split('.')[0]}:{name}", corpus_name,
                lambda prof, obj=obj, ps=ps: obj.prepare_program(ps, prof.vmlinux_btf())[0],
                ps.spec.prog_type, ps.spec.expected_attach_type, maps,
                bool(ext is not None and ext.func_info), 1 << 4 if ps.spec.sleepable else 0, info,
                "" if not ps.spec.attach_btf or ps.spec.target else "a BTF-attached section without a target",
                (kind, ps.spec.target) if ps.spec.attach_btf and ps.spec.target else None,
                lambda prof, obj=obj, ps=ps: _verify_object_program(obj, ps, prof)))
    return out


def _verify_object_program(obj: Any, ps: Any, prof: KernelProfile) -> Any:
    """pybpf's report for an object's program under ``prof``, as `BpfObject.verify` makes it
    (the object's BTF and the attach target looked up in that kernel's BTF, the sleepable
    flag, the .kconfig map), with CO-RE resolved against that kernel's BTF."""
    from pybpf.verifier import verify
    from pybpf.verifier.kernel_profile import using

    prog = obj.prepare_program(ps, prof.vmlinux_btf())[0]
    maps = dict(obj.spec.maps)
    kconfig = obj._kconfig_decl()
    if kconfig is not None:
        maps[".kconfig"] = kconfig
    with using(prof):
        pbtf = obj.program_btf(ps, prog)
    return verify(prog, ps.spec.prog_type, maps=maps, expected_attach_type=ps.spec.expected_attach_type,
                  btf=pbtf, sleepable=ps.spec.sleepable, kernel=prof)


def example_programs() -> list[CorpusProgram]:
    """docs/kernels.md's examples (``examples/fleet``): objects, and assembly whose first line
    says ``# type: T``."""
    from pybpf.asm import assemble

    out = object_programs(EXAMPLES_DIR.glob("*.bpf.c"), "examples")
    for src in sorted(EXAMPLES_DIR.glob("*.s")):
        text = src.read_text()
        m = re.search(r"^# type: (\w+)", text, re.M)
        ptype = m.group(1) if m else "socket_filter"
        out.append(CorpusProgram(src.stem, "examples", assemble(text, filename=str(src)), ptype))
    return out


def c_programs() -> list[CorpusProgram]:
    """The C corpus (``tests/verifier/c``, ~400 programs) on the fleet: every program of every
    object compiled for ``-mcpu=v3``. Its sources need the corpus's include path and
    vmlinux.h, so they are compiled by the corpus's own builder
    (`tests.verifier.c_corpus.Builder`, objects cached by their inputs' hash, the same bytes in
    every checkout); CO-RE, kfunc ids and attach targets are resolved per kernel. Empty without
    clang-19, or with ``PYBPF_VMTEST_C_CORPUS=0``. (A first run that disagreed with the
    recorded verdicts was tests/verifier judging 6.1 and 6.12 with the running kernel's BTF in
    the same process, fixed since.)"""
    import os
    import shutil

    if os.environ.get("PYBPF_VMTEST_C_CORPUS") == "0" or not C_CORPUS_DIR.is_dir() \
            or shutil.which("clang-19") is None:
        return []
    from tests.verifier import c_corpus

    built = c_corpus.Builder().build(c_corpus.sources(), ["v3"])
    labels = {p: rel.removesuffix(".bpf.c") for (rel, _cpu), p in built.items() if isinstance(p, Path)}
    return object_programs(list(labels), "c", compiled=True, labels=labels)


def all_programs() -> list[CorpusProgram]:
    """The assembly suite, the kernel-difference cases and docs/kernels.md's examples: the
    programs whose verdicts ``tests/verifier/kernels/NAME.json`` records for every kernel."""
    return suite_programs() + difference_programs() + example_programs()


def fleet_programs() -> list[CorpusProgram]:
    """Everything the fleet's kernels are booted with: `all_programs` and the C corpus."""
    return all_programs() + c_programs()


@dataclass
class Boot:
    """What one boot of a kernel gave: the run, the verdicts, and (with probes) its profile."""

    run: vm.Run
    verdicts: dict[str, Verdict]
    profile: KernelProfile | None = None
    #: programs the harness could not encode, with why (not loaded, not compared)
    skipped: dict[str, str] = field(default_factory=dict)
    #: how many units the kernel loaded and how many its image's cache answered
    cache_outcome: cache.Outcome | None = None

    @property
    def name(self) -> str:
        return profile_name(self.run.kernel, self.run.release)


def boot(kernel: str, programs: list[CorpusProgram], *, probes: bool = False) -> Boot:
    """Load every program into ``kernel`` (``native``: the running one) in one boot; with
    ``probes``, also measure its profile (`pybpf.verifier.profile_probes`) in the same boot."""

    from .profiles import add_probes, profile_from

    prof = judged_profile(kernel)
    b = Batch()
    skipped: dict[str, str] = {}
    for p in programs:
        if p.unsupported:
            skipped[p.key] = p.unsupported
            continue
        try:
            spec = p.spec_for(prof)
            b.add_program(p.key, spec, p.prog_type, expected_attach_type=p.attach,
                          name=p.key.split(":")[-1], maps=p.maps, prog_flags=p.prog_flags,
                          object_btf=p.object_btf(spec) if p.object_btf is not None else None,
                          attach_btf_id=p.attach_btf_id(prof), log_on_failure=True)
        except (BatchError, PybpfError, KeyError) as e:  # the harness cannot load it: say so, go on
            skipped[p.key] = str(e)
    btf_rec = add_probes(b, prof) if probes else None
    live = [p.key for p in programs if p.corpus in LIVE_CORPORA]
    r, results, outcome = cache.run(kernel, b, live=live)
    out: dict[str, Verdict] = {}
    for p in programs:
        if p.key in skipped:
            continue
        failed = [(n, results[i]) for n, i in b.map_records.get(p.key, ()) if i in results and results[i].ret < 0]
        if failed:  # the program never met the verifier: the harness could not build its maps
            skipped[p.key] = "; ".join(f"map {n}: errno {r.errno}" for n, r in failed)
            continue
        res = b.result(p.key, results)
        if res is None:
            raise vm.VmtestError(f"{kernel}: no result for {p.key}")
        if res.ret >= 0:
            out[p.key] = Verdict(True)
        else:
            insn, lines = log_error(res.log)
            # no verifier message (a load refused before verification): the errno, as the C
            # corpus harness and pybpf's kernel_refused verdicts name it
            out[p.key] = Verdict(False, insn, lines or [errno.errorcode.get(res.errno, str(res.errno))])
    measured = profile_from(kernel, r, b, results, btf_rec) if probes else None
    return Boot(r, out, measured, skipped, outcome)


def judged_profile(kernel: str) -> KernelProfile:
    """The shipped profile of ``kernel`` (``native``: the running kernel's ``major.minor``), with
    the kernel's own BTF in the cache: a guest's is copied out of it (one short boot, or its
    image's cache) when the cache lacks it, so CO-RE, kfunc ids and attach targets are resolved
    against that kernel and never silently against the running one's."""
    import dataclasses
    import hashlib
    import os

    from pybpf.verifier.kernel_profile import btf_path

    prof = kernel_profile(profile_name(kernel, os.uname().release))
    if kernel == vm.NATIVE or btf_path(prof) is not None:
        return prof
    from .profiles import BTF_PATH

    b = Batch()
    rec = b.dump_file(BTF_PATH)
    _run, results, _outcome = cache.run(kernel, b)
    res = results.get(rec)
    if res is None or res.ret != 0 or not res.data:
        raise vm.VmtestError(f"{kernel}: the guest gave no {BTF_PATH}")
    sha = hashlib.sha256(res.data).hexdigest()
    if sha != prof.btf.get("sha256"):  # another build of the series than the profile's
        prof = dataclasses.replace(prof, btf={"sha256": sha, "size": len(res.data)})
    return prof


def run(kernel: str, programs: list[CorpusProgram]) -> tuple[vm.Run, dict[str, Verdict]]:
    """Load every program into ``kernel`` in one boot: (the run, the verdicts by key)."""
    b = boot(kernel, programs)
    return b.run, b.verdicts


def log_error(log: str) -> tuple[int | None, list[str]]:
    """(instruction, message lines) of a rejection's log: the suite's `kernel_error`, where an
    instruction older kernels cannot print (``1: BUG_db``) also names the instruction."""
    insn, lines = kernel_error(log)
    m = re.match(r"^(\d+): BUG_", lines[0]) if lines else None
    if m:
        return int(m.group(1)), lines[1:]
    return insn, lines


def profile_name(kernel: str, release: str) -> str:
    return kernel if kernel != vm.NATIVE else ".".join(release.split(".")[:2])


def predict(p: CorpusProgram, prof: KernelProfile) -> tuple[Verdict, str | None]:
    """pybpf's verdict on ``p`` for ``prof``; a program past the C corpus's own CPU limit
    (`tests.verifier.c_corpus.PYBPF_TIMEOUT_S`) counts as a disagreement."""
    from pybpf.verifier import verify
    from tests.verifier.c_corpus import PYBPF_TIMEOUT_S as PREDICT_TIMEOUT_S
    from tests.verifier.c_corpus import _time_limit, _Timeout

    try:
        with _time_limit(PREDICT_TIMEOUT_S):
            if p.verifier is not None:
                rep = p.verifier(prof)
            else:
                rep = verify(p.spec_for(prof), p.prog_type, expected_attach_type=p.attach, kernel=prof,
                             maps=p.maps, func_info=p.func_info)
    except _Timeout:
        return Verdict(False), f"timeout after {PREDICT_TIMEOUT_S:g} s of CPU time"
    except Exception as e:  # noqa: BLE001 - a crash is a disagreement to report
        return Verdict(False), f"{type(e).__name__}: {e}"
    if rep.accepted:
        return Verdict(True), None
    return Verdict(False, rep.insn, (rep.message or "").split("\n")), None


def compare(programs: list[CorpusProgram], kernel_verdicts: dict[str, Verdict], prof: KernelProfile
            ) -> list[Comparison]:
    out = []
    for p in programs:
        if p.key not in kernel_verdicts:
            continue
        ours, err = predict(p, prof)
        out.append(Comparison(p, kernel_verdicts[p.key], ours, err))
    return out


def check(kernel: str, programs: list[CorpusProgram] | None = None) -> Summary:
    """Run ``programs`` (default: every corpus) on ``kernel`` and compare with pybpf."""
    programs = programs if programs is not None else fleet_programs()
    r, verdicts = run(kernel, programs)
    prof = kernel_profile(profile_name(kernel, r.release))
    return Summary(profile_name(kernel, r.release), r.release, r.seconds, compare(programs, verdicts, prof))


def record(summary: Summary) -> Path:
    """Write the kernel's verdicts to ``tests/verifier/kernels/NAME.json``."""
    RECORD_DIR.mkdir(parents=True, exist_ok=True)
    path = RECORD_DIR / f"{summary.kernel}.json"
    doc = {"kernel": summary.kernel, "release": summary.release,
           "verdicts": {c.program.key: c.kernel.to_json() for c in summary.comparisons}}
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def recorded(kernel: str) -> dict[str, Verdict]:
    """The verdicts recorded for ``kernel`` (empty when none were)."""
    path = RECORD_DIR / f"{kernel}.json"
    if not path.exists():
        return {}
    return {k: Verdict.from_json(v) for k, v in json.loads(path.read_text())["verdicts"].items()}
