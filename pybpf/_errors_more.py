"""The errors of `pybpf.errors` that a program's start-up never raises (the command line's,
the static verifier's, the VM's, the exporter's, bpftrace scripts', and the kernel layer's
failures: a rejected load, no bpf(), missing capabilities, an absent tracefs or bpffs):
defined at their first use through `pybpf.errors`, whose module they name as theirs
(import them from there).
"""
from __future__ import annotations

from .errors import DslError, KernelError, PybpfError

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["InputError", "UsageError", "VerifierReject", "KernelProfileError", "VMFault", "BackendMismatch", "ExportError", "ScriptError",
           "ProgLoadError", "KernelUnavailable", "MissingCapability", "MountError"]


class InputError(PybpfError, ValueError):
    """A file given to pybpf cannot be used as it is: unreadable, empty, hex text with a
    bad digit, bytecode cut short, or a kind of input the command cannot take.

    Names ``filename`` and where: ``line``/``column`` (1-based) in text, ``offset`` (byte)
    and ``slot`` (8-byte instruction slot) in binary data.

    >>> print(InputError("expected hex bytes, got 'zz'", filename="p.hex", line=2, column=5))
    p.hex:2:5: expected hex bytes, got 'zz'
    >>> print(InputError("3 bytes left over", filename="p.bin", offset=40, slot=5))
    p.bin: byte 40 (slot 5): 3 bytes left over
    """

    def __init__(self, message: str, *, filename: str | None = None, line: int | None = None,
                 column: int | None = None, offset: int | None = None,
                 slot: int | None = None) -> None:
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.offset = offset
        self.slot = slot
        where = filename or "<input>"
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        elif offset is not None:
            where += f": byte {offset}" + (f" (slot {slot})" if slot is not None else "")
        elif slot is not None:
            where += f": slot {slot}"
        super().__init__(f"{where}: {message}")


class UsageError(PybpfError):
    """A command line asks for something impossible: options that do not go together, an
    output that cannot be written, raw bytes for a terminal."""


class VerifierReject(PybpfError):
    """pybpf's static verifier rejected a program; ``report`` says why."""

    def __init__(self, report: Any) -> None:
        self.report = report
        super().__init__(str(getattr(report, "summary", report)))


class KernelProfileError(PybpfError, ValueError):
    """A kernel profile that does not exist (``--kernel 5.4``) or a malformed profile file."""


class VMFault(PybpfError):
    """The userspace VM stopped: a bad memory access, a bad instruction, or a limit."""

    def __init__(self, message: str, *, pc: int | None = None, insn: str | None = None,
                 address: int | None = None, region: str | None = None,
                 offset: int | None = None) -> None:
        self.message = message
        self.pc = pc
        self.insn = insn
        self.address = address
        self.region = region
        self.offset = offset
        where = f"insn {pc}" if pc is not None else "vm"
        if insn:
            where += f" ({insn})"
        super().__init__(f"{where}: {message}")


class BackendMismatch(PybpfError, AssertionError):
    """The same program on the same input gave different results in the VM and in the
    kernel (``BPF_PROG_TEST_RUN``): return value, packet bytes, map contents or records.
    ``differences`` lists each one (``"retval: VM 1, kernel 2"``); an AssertionError, so a
    test that compares the two fails like any other assertion.

    >>> print(BackendMismatch("xdp_prog", ["retval: VM 1, kernel 2"], input="Packet(...)"))
    xdp_prog: the VM and the kernel differ on input Packet(...):
      retval: VM 1, kernel 2
    """

    def __init__(self, program: str, differences: list[str], *, input: str | None = None) -> None:
        self.program = program
        self.differences = list(differences)
        self.input = input
        head = f"{program}: the VM and the kernel differ" + (f" on input {input}" if input else "")
        super().__init__(head + ":\n" + "\n".join(f"  {d}" for d in differences))


class ExportError(PybpfError):
    """A probe's maps cannot be exported as Prometheus metrics the way its file declares
    (``pybpf export``): names the probe file and the map (and the field or label) at fault.

    >>> print(ExportError("label 'comm' is given twice", filename="syscount.py", map="counts"))
    syscount.py: map counts: label 'comm' is given twice
    """

    def __init__(self, message: str, *, filename: str | None = None, map: str | None = None) -> None:
        self.message = message
        self.filename = filename
        self.map = map
        where = [w for w in (filename, f"map {map}" if map else None) if w]
        super().__init__(": ".join([*where, message]))


class ScriptError(DslError):
    """A bpftrace script (``pybpf trace``) does not parse, or uses what pybpf cannot run;
    names the script's file, line and column with a caret."""


class ProgLoadError(KernelError):
    """BPF_PROG_LOAD failed; ``log`` holds the kernel verifier's whole log.

    With a log, the text quotes the log's failing line and pybpf's explanation of it:
    the loader sets ``explain`` (`pybpf.explain.loaderror.describe`; this module imports
    nothing of pybpf) and ``program`` (source lines)."""

    program: Any = None
    prog_type: Any = None
    explain: Callable[[ProgLoadError], str] | None = None

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.first_text = str(self.args[1]) if len(self.args) > 1 else ""

    def __str__(self) -> str:
        if self.log and self.explain is not None:
            try:
                return self.explain(self)
            except Exception:  # noqa: BLE001 - an error's text must not fail
                pass
        text = super().__str__()
        if self.log:
            tail = [ln for ln in self.log.strip().splitlines() if ln.strip()][-3:]
            text += "\nverifier log (last lines):\n  " + "\n  ".join(tail)
        return text


class KernelUnavailable(PybpfError):
    """The kernel layer cannot be used in this process: not Linux, no bpf() syscall, or
    ``pybpf._native`` (its compiled side) not built. Assembling, verifying and the VM
    still work."""


class MissingCapability(KernelUnavailable, PermissionError):
    """The process lacks capabilities a kernel command needs. ``lacking`` lists what is
    missing as alternatives (any one capability of each inner list would do);
    ``missing`` names the specific ones (CAP_SYS_ADMIN, which stands for all, aside).

    >>> print(MissingCapability([["CAP_BPF", "CAP_SYS_ADMIN"], ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]],
    ...                         "loading an xdp program"))
    loading an xdp program needs CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN), which this process does not have (run it as root, or grant them with setcap/capsh)
    """

    def __init__(self, lacking: list[list[str]], action: str) -> None:
        self.lacking = [list(alt) for alt in lacking]
        self.action = action
        self.missing = [c for alt in self.lacking for c in alt if c != "CAP_SYS_ADMIN"]
        text = " and ".join(dict.fromkeys(self.missing)) or "CAP_SYS_ADMIN"
        if self.missing and all("CAP_SYS_ADMIN" in alt for alt in self.lacking):
            text += " (or CAP_SYS_ADMIN)"
        super().__init__(f"{action} needs {text}, which this process does not have (run it "
                         "as root, or grant them with setcap/capsh)")


class MountError(PybpfError):
    """tracefs or bpffs is not mounted and could not be mounted."""


for _cls in (InputError, UsageError, VerifierReject, KernelProfileError, VMFault, BackendMismatch,
             ExportError, ScriptError, ProgLoadError, KernelUnavailable, MissingCapability,
             MountError):
    _cls.__module__ = "pybpf.errors"  # (where users import them from, and where pickle looks)
