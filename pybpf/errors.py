"""Every exception pybpf raises on purpose.

A user sees one line that says what is wrong and where::

    PybpfError
    ├── IsaError          an instruction that is not valid eBPF (bad opcode, field out of range)
    ├── AsmError          a malformed assembly line (file, line, column, what was expected)
    ├── InputError        a file that is not what a command needs (file, line:column or byte)
    ├── UsageError        a command line that asks for something impossible
    ├── ElfError          a malformed or unsupported object file (section, offset)
    ├── BtfError          malformed BTF or a type that cannot be found
    ├── VerifierReject    the static verifier rejected a program (carries the Report)
    ├── KernelError       a syscall failed (command, errno, hint, verifier log)
    │   └── ProgLoadError     BPF_PROG_LOAD failed: the kernel verifier's log is attached
    ├── KernelUnavailable the kernel layer cannot run here (no bpf(), module not built)
    │   └── MissingCapability the process lacks CAP_BPF/CAP_SYS_ADMIN/...: names which
    ├── MountError        tracefs/bpffs is not there and cannot be mounted
    ├── VMFault           the VM stopped on a bad access or instruction
    ├── BackendMismatch   a program gave the VM and the kernel different results (pybpf.testing)
    ├── KernelProfileError  an unknown kernel name or a malformed kernel profile file
    ├── DslError          a probe written in Python is outside the DSL (file, line, caret)
    │   └── ScriptError       a bpftrace script (pybpf trace) that does not parse or run
    └── ExportError       a probe's metrics cannot be exported as declared (file, map, field)

>>> try:
...     raise AsmError("unknown mnemonic 'mvo'", line=3, column=1, filename="a.s")
... except PybpfError as e:
...     print(e)
a.s:3:1: unknown mnemonic 'mvo'
"""

from __future__ import annotations

import errno as _errno
import os

from ._deprecated import module_getattr

TYPE_CHECKING = False  # (not typing's: importing typing costs a probe's start-up)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ._errors_more import (  # noqa: F401 - the names __getattr__ gives
        BackendMismatch,
        ExportError,
        InputError,
        KernelProfileError,
        KernelUnavailable,
        MissingCapability,
        MountError,
        ProgLoadError,
        ScriptError,
        UsageError,
        VerifierReject,
        VMFault,
    )


class PybpfError(Exception):
    """Base class of every error pybpf raises on purpose."""


class IsaError(PybpfError, ValueError):
    """An instruction is not valid eBPF: unknown opcode or a field out of range.

    ``index`` is the instruction (slot) index when known.
    """

    def __init__(self, message: str, *, index: int | None = None) -> None:
        self.message = message
        self.index = index
        super().__init__(message if index is None else f"insn {index}: {message}")


class AsmError(PybpfError, ValueError):
    """A line of assembly text could not be assembled.

    Carries ``filename``, ``line`` (1-based), ``column`` (1-based) and the
    offending ``source`` line, and renders like a compiler diagnostic.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        filename: str | None = None,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.filename = filename
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.filename or "<asm>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"

    def caret(self) -> str:
        """The message followed by the source line and a caret under the column."""
        text = str(self)
        if self.source is not None:
            text += "\n" + self.source
            if self.column is not None:
                text += "\n" + " " * (self.column - 1) + "^"
        return text


class ElfError(PybpfError, ValueError):
    """An ELF object is malformed or uses something pybpf does not support."""

    def __init__(self, message: str, *, path: str | None = None, section: str | None = None,
                 offset: int | None = None) -> None:
        self.message = message
        self.path = path
        self.section = section
        self.offset = offset
        where = path or "<elf>"
        if section is not None:
            where += f": section {section}"
        if offset is not None:
            where += f" at offset {offset:#x}"
        super().__init__(f"{where}: {message}")


class BtfError(PybpfError, ValueError):
    """BTF data is malformed, or a type/name cannot be found."""

    def __init__(self, message: str, *, offset: int | None = None, type_id: int | None = None) -> None:
        self.message = message
        self.offset = offset
        self.type_id = type_id
        where = []
        if type_id is not None:
            where.append(f"type {type_id}")
        if offset is not None:
            where.append(f"offset {offset:#x}")
        super().__init__(f"BTF {' '.join(where)}: {message}" if where else f"BTF: {message}")


#: One-line hints for errnos that bpf() and friends return.
ERRNO_HINTS: dict[int, str] = {
    _errno.EPERM: "operation not permitted: needs root/CAP_BPF (and CAP_PERFMON/CAP_NET_ADMIN for "
    "some program types), or the running kernel refuses this program or attach type",
    _errno.EACCES: "permission denied: the verifier rejected the program, or the object is not "
    "accessible (see the verifier log)",
    _errno.EINVAL: "invalid argument: a field the kernel does not accept for this command "
    "(wrong type, size, flags or attach type)",
    _errno.E2BIG: "too big: an attribute or program is larger than the kernel accepts, or unknown "
    "non-zero trailing attribute bytes",
    _errno.ENOENT: "not found: no such key, id, object or attach target",
    _errno.EEXIST: "already exists: the key exists (BPF_NOEXIST) or something is already attached",
    _errno.ENOSPC: "no space: the map is full or the log buffer is too small",
    _errno.EBADF: "bad file descriptor: the object was closed or the fd is not a BPF object",
    _errno.ENOMEM: "out of memory: try a smaller map or raise RLIMIT_MEMLOCK",
    _errno.EOPNOTSUPP: "not supported by this kernel or by this map/program type",
    _errno.ENOTSUPP if hasattr(_errno, "ENOTSUPP") else 524: "not supported by this kernel "
    "(ENOTSUPP)",
    _errno.EBUSY: "busy: something else already holds this attach point",
    _errno.EFAULT: "bad address passed to the kernel",
    _errno.ESRCH: "no such process or tracepoint",
}


class KernelError(PybpfError, OSError):
    """A syscall into the kernel failed.

    Carries ``command`` (e.g. ``"BPF_MAP_CREATE"``), ``errno``, a one-line
    ``hint`` and, for program loads, the verifier ``log``.
    """

    errno: int  # always set (OSError's may be None)

    def __init__(self, command: str, err: int, *, hint: str | None = None, log: str = "",
                 detail: str | None = None) -> None:
        self.command = command
        self.log = log
        self.detail = detail
        self.hint = hint if hint is not None else ERRNO_HINTS.get(err, os.strerror(err))
        name = _errno.errorcode.get(err, "ENOTSUPP" if err == 524 else str(err))
        msg = f"{command} failed: {name}: {self.hint}"
        if detail:
            msg += f" ({detail})"
        OSError.__init__(self, err, msg)
        self.errno = err

    def __str__(self) -> str:
        return str(self.args[1]) if len(self.args) > 1 else super().__str__()


class DslError(PybpfError):
    """A probe written in Python uses something outside the DSL, or is wrong."""

    def __init__(self, message: str, *, filename: str | None = None, line: int | None = None,
                 column: int | None = None, source: str | None = None) -> None:
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.source = source
        where = filename or "<probe>"
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        text = f"{where}: {message}"
        if source is not None:
            text += "\n    " + source.rstrip("\n")
            if column is not None:
                text += "\n    " + " " * max(column - 1, 0) + "^"
        super().__init__(text)


#: the errors of the CLI, the verifier, the VM, the exporter and bpftrace scripts, and the
#: kernel layer's failures (a rejected load, no bpf(), missing capabilities, no tracefs or
#: bpffs), defined at their first use (`pybpf._errors_more`; an exception class costs a
#: process's start-up ~100K instructions, and a program that loads raises none of them)
__getattr__ = module_getattr(__name__, {}, dict.fromkeys(
    ("InputError", "UsageError", "VerifierReject", "KernelProfileError", "VMFault",
     "BackendMismatch", "ExportError", "ScriptError", "ProgLoadError", "KernelUnavailable",
     "MissingCapability", "MountError"), "pybpf._errors_more"))
