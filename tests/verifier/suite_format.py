"""The verifier suite's file format: a header of ``# key: value`` lines, then assembly.

Each ``tests/verifier/suite/*.s`` file is one program and its expected verdict::

    # type: socket_filter
    # expect: reject
    # class: null_deref
    # insn: 6
    # message: R0 invalid mem access 'map_value_or_null'
    # about: a map value is read without a NULL check
    .map m hash key=4 value=8 max_entries=4
    *(u32 *)(r10 - 4) = 0
    ...

Keys: ``type`` (kernel program type name), optional ``attach`` (expected attach
type), ``expect`` (``accept`` or ``reject``), and for rejections ``class`` (a key
of `pybpf.verifier.report.EXPLAIN`), ``insn`` (an index, or ``none`` when the
kernel names no instruction) and ``message`` (one line per kernel error line, in
order), plus ``about`` (one sentence).

`kernel_error` extracts the same (insn, message lines) from a kernel verifier log
at log_level 1, so headers can be checked against, and filled from, the kernel.

>>> case = parse_case("x.s", "# type: xdp\\n# expect: accept\\n# about: ok\\nr0 = 2\\nexit\\n")
>>> case.prog_type, case.accepted, case.body.strip()
('xdp', True, 'r0 = 2\\nexit')
>>> kernel_error("0: R1=ctx() R10=fp0\\n0: (95) exit\\nR0 !read_ok\\nprocessed 1 insns (limit 1000000)")
(0, ['R0 !read_ok'])
"""
from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SUITE_DIR = Path(__file__).parent / "suite"

_HEADER = re.compile(r"#\s*([a-z_]+):\s?(.*)$")
_KEYS = {"type", "attach", "expect", "class", "insn", "message", "about"}

#: an instruction line of the log: "12: (85) call bpf_map_lookup_elem#1   ; R0=..."
_INSN_LINE = re.compile(r"^(\d+): \([0-9a-f]{2}\) ")
#: register/stack state lines (printed before or after instructions, and at branches)
_STATE_LINE = re.compile(
    r"^(\d+: )?(frame\d+: ?)?(R\d+(_\w+)?=|fp-\d+=|; )"
    r"|^from \d+ to \d+: "
    r"|^(\d+: )?frame\d+:"
    r"|^mark_precise: |^last_idx |^regs=|^parent |^func#\d+ @\d+"
    r"|^(caller|callee):$|^(cur|old) state: "
    # a return from a callee or callback at level 1: both frames' registers, indented
    r"|^returning from callee:$|^to caller at \d+:$|^ +(frame\d+: ?)?(R\d+(_\w+)?=|fp-\d+=)"
    r"|^verification time |^stack depth |^\d+: safe$|^; ")
#: messages that name the instruction they are about (the rest use the last insn line)
_NAMED_INSN = re.compile(
    r"unreachable insn (\d+)|jump out of range from insn (\d+)|infinite loop detected at insn (\d+)"
    r"|back-edge from insn (\d+)|jump into the middle of ldimm64 insn (\d+)")


_GLUED = re.compile(r"(\S)(processed \d+ insns \(limit)")
#: a loop detected (or the instruction limit reached) while a jump's line is being printed
#: runs into that line
_GLUED_LOOP = re.compile(r"^(\d+: \([0-9a-f]{2}\) .*?) (infinite loop detected at insn \d+"
                         r"|BPF program is too large\. Processed \d+ insn)$", re.M)


@dataclass
class Case:
    """One suite file."""

    path: Path
    prog_type: str
    expect: str
    body: str
    attach: str | None = None
    error_class: str | None = None
    insn: int | None = None
    messages: list[str] = field(default_factory=list)
    about: str = ""

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def accepted(self) -> bool:
        return self.expect == "accept"

    @property
    def message(self) -> str:
        """The expected message lines joined by newlines (what `Report.message` holds)."""
        return "\n".join(self.messages)


class SuiteFormatError(ValueError):
    """A malformed suite file (names the file and line)."""


def parse_case(path: str | Path, text: str) -> Case:
    """Parse one suite file's text; raises `SuiteFormatError` naming the file and line."""
    path = Path(path)
    fields: dict[str, str] = {}
    messages: list[str] = []
    body_lines: list[str] = []
    in_header = True
    for n, line in enumerate(text.split("\n"), 1):
        m = _HEADER.match(line) if in_header else None
        if m is None:
            if in_header and line.strip() and not line.startswith("#"):
                in_header = False
            body_lines.append(line if not in_header else "")
            continue
        key, value = m.group(1), m.group(2).rstrip()
        if key not in _KEYS:
            raise SuiteFormatError(f"{path}:{n}: unknown header key {key!r} (expected one of "
                                   f"{', '.join(sorted(_KEYS))})")
        if key == "message":
            messages.append(value)
        elif key in fields:
            raise SuiteFormatError(f"{path}:{n}: header key {key!r} given twice")
        else:
            fields[key] = value.strip()
    for need in ("type", "expect", "about"):
        if need not in fields:
            raise SuiteFormatError(f"{path}: missing header '# {need}: ...'")
    expect = fields["expect"]
    if expect not in ("accept", "reject"):
        raise SuiteFormatError(f"{path}: expect must be accept or reject, not {expect!r}")
    insn: int | None = None
    if expect == "reject":
        for need in ("class", "insn"):
            if need not in fields:
                raise SuiteFormatError(f"{path}: a rejection needs '# {need}: ...'")
        if not messages:
            raise SuiteFormatError(f"{path}: a rejection needs at least one '# message: ...'")
        if fields["insn"] != "none":
            try:
                insn = int(fields["insn"])
            except ValueError:
                raise SuiteFormatError(f"{path}: insn must be an integer or 'none', "
                                       f"not {fields['insn']!r}") from None
    elif messages or "class" in fields or "insn" in fields:
        raise SuiteFormatError(f"{path}: an accepted case has no class, insn or message")
    return Case(path=path, prog_type=fields["type"], expect=expect, body="\n".join(body_lines),
                attach=fields.get("attach"), error_class=fields.get("class"), insn=insn,
                messages=messages, about=fields.get("about", ""))


def load_suite(directory: Path = SUITE_DIR) -> list[Case]:
    """Every case of the suite, sorted by file name."""
    return [parse_case(p, p.read_text()) for p in sorted(directory.glob("*.s"))]


def kernel_error(log: str) -> tuple[int | None, list[str]]:
    """(instruction index, error lines) of a kernel verifier log (log_level 1) of a rejection.

    The error lines are those after the last instruction line and before the
    ``processed N insns`` line, without register-state lines. The index is the one
    a message names (``unreachable insn 7``...), else that of the last instruction
    line, else None.
    """
    # a message printed without its newline runs into the summary line
    log = _GLUED.sub(r"\1\n\2", log)
    log = _GLUED_LOOP.sub(r"\1\n\2", log)
    lines = log.rstrip("\n").split("\n")
    end = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("processed "):
            end = i
            break
    start = 0
    insn: int | None = None
    for i in range(end - 1, -1, -1):
        m = _INSN_LINE.match(lines[i])
        if m is not None:
            start, insn = i + 1, int(m.group(1))
            break
    errors = [ln.rstrip() for ln in lines[start:end] if ln.strip() and not _STATE_LINE.match(ln)]
    for ln in errors:
        m = _NAMED_INSN.search(ln)
        if m is not None:
            insn = int(next(g for g in m.groups() if g is not None))
            break
    return insn, errors


def render_header(case: Case) -> str:
    """The header lines of ``case`` (what `parse_case` reads back)."""
    out = [f"# type: {case.prog_type}"]
    if case.attach:
        out.append(f"# attach: {case.attach}")
    out.append(f"# expect: {case.expect}")
    if not case.accepted:
        out.append(f"# class: {case.error_class}")
        out.append(f"# insn: {'none' if case.insn is None else case.insn}")
        out += [f"# message: {m}" for m in case.messages]
    out.append(f"# about: {case.about}")
    return "\n".join(out) + "\n"


@dataclass
class Outcome:
    """A verdict with, for a rejection, the instruction and message lines."""

    accepted: bool
    insn: int | None = None
    messages: list[str] = field(default_factory=list)
    log: str = ""


def assemble_case(case: Case):  # -> pybpf.isa.program.ProgramSpec
    """The case's program (numeric jumps may leave it: some cases test exactly that)."""
    from pybpf.asm import assemble

    return assemble(case.body, filename=str(case.path), check_targets=False)


def kernel_outcome(case: Case) -> Outcome:
    """Load ``case`` into the running kernel (root) and return its verdict.

    Maps are created from the case's ``.map`` declarations and closed again.
    """
    from pybpf.errors import ProgLoadError
    from pybpf.kernel import prog

    program = assemble_case(case)
    try:
        loaded = prog.load(program.replace(name=case.name[:15]), case.prog_type,
                           options=prog.LoadOptions(expected_attach_type=case.attach, log_level=1))
    except ProgLoadError as e:
        insn, lines = kernel_error(e.log or "")
        return Outcome(False, insn, lines, e.log or "")
    with loaded:
        return Outcome(True, log=loaded.log if hasattr(loaded, "log") else "")


@dataclass
class Agreement:
    """How pybpf's `Report` for a case compares with the case's (kernel) header."""

    case: Case
    verdict: bool
    insn: bool
    message: bool
    got_accepted: bool | None = None
    got_insn: int | None = None
    got_message: str | None = None
    got_class: str | None = None
    error: str | None = None  # pybpf raised instead of reporting

    @property
    def exact(self) -> bool:
        """Verdict, and for a rejection also instruction and message, agree."""
        return self.verdict and self.insn and self.message

    def describe(self) -> str:
        c = self.case
        if self.error is not None:
            return f"{c.name}: pybpf raised {self.error}"
        if not self.verdict:
            want = "accept" if c.accepted else f"reject at insn {c.insn}: {c.message!r}"
            got = "accept" if self.got_accepted else f"reject at insn {self.got_insn}: {self.got_message!r}"
            return f"{c.name}: kernel {want}, pybpf {got}"
        return (f"{c.name}: insn kernel {c.insn} pybpf {self.got_insn}; message kernel {c.message!r} "
                f"pybpf {self.got_message!r}")


def pybpf_verify(case: Case):  # -> pybpf.verifier.report.Report
    """Run pybpf's verifier on ``case`` (its program type and attach type)."""
    import inspect

    from pybpf.verifier import verify

    kwargs = {}
    if case.attach and "expected_attach_type" in inspect.signature(verify).parameters:
        kwargs["expected_attach_type"] = case.attach
    return verify(assemble_case(case), case.prog_type, **kwargs)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise TimeoutError once the block has used ``seconds`` of CPU time (main thread,
    SIGPROF: a loaded machine does not make a case fail); None: no limit."""
    if not seconds:
        yield
        return

    def fire(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s of CPU time")

    old = signal.signal(signal.SIGPROF, fire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def compare(case: Case, seconds: float | None = None) -> Agreement:
    """Verify ``case`` with pybpf and compare with its header (exceptions, and taking longer
    than ``seconds``, count as disagreement)."""
    try:
        with deadline(seconds):
            report = pybpf_verify(case)
    except Exception as e:  # noqa: BLE001 - a crash is a disagreement to report, not to hide
        return Agreement(case, False, False, False, error=f"{type(e).__name__}: {e}")
    verdict = bool(report.accepted) == case.accepted
    if case.accepted or not verdict:
        same = verdict
        return Agreement(case, verdict, same, same, bool(report.accepted), report.insn, report.message,
                         report.error_class)
    return Agreement(case, True, report.insn == case.insn, (report.message or "") == case.message,
                     False, report.insn, report.message, report.error_class)
