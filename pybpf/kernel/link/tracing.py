"""BTF-attached tracing links: fentry, fexit, fmod_ret, LSM, tp_btf.

These programs are loaded *for one target*: the load carries the BTF id of the
kernel function (fentry/fexit/fmod_ret), LSM hook (``bpf_lsm_<hook>``) or BTF
tracepoint (typedef ``btf_trace_<tp>``). `attach_target` finds that id in the
vmlinux BTF (`pybpf.btf`); `load` loads a `ProgramSpec` with it and turns this
kernel's refusal into a `ProgLoadError` that names the kind and the
restriction; `fentry` & co. then attach the loaded program with
BPF_LINK_CREATE.

Some kernels refuse trampoline-based kinds (fentry, fexit, fmod_ret, LSM,
freplace) with EPERM even for root: the kernel lacks direct-call trampolines
or a lockdown/LSM policy denies them. tp_btf does not need a trampoline.

>>> prog = load(program, "tp_btf", "sys_enter")     # doctest: +SKIP
>>> lk = tp_btf(prog)                               # doctest: +SKIP
"""
from __future__ import annotations

import errno
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..._record import replace
from ...errors import BtfError, KernelError, ProgLoadError
from ...isa.program import ProgramSpec
from ..prog import LoadOptions, Program
from ..prog import load as load_prog
from ..syscall import Cmd
from . import _attr
from ._attr import AttachType
from .base import HasFd, Link, kernel_call, prog_fd

__all__ = ["AttachTarget", "KINDS", "attach_target", "load", "fentry", "fexit", "fmod_ret", "lsm",
           "tp_btf", "tracing_link"]

#: kind -> (program type, expected attach type, BTF kind of the target, BTF name prefix)
KINDS: dict[str, tuple[str, Any, str, str]] = {
    "fentry": ("tracing", AttachType.TRACE_FENTRY, "func", ""),
    "fexit": ("tracing", AttachType.TRACE_FEXIT, "func", ""),
    "fmod_ret": ("tracing", AttachType.MODIFY_RETURN, "func", ""),
    "tp_btf": ("tracing", AttachType.TRACE_RAW_TP, "typedef", "btf_trace_"),
    "lsm": ("lsm", AttachType.LSM_MAC, "func", "bpf_lsm_"),
    "iter": ("tracing", AttachType.TRACE_ITER, "func", "bpf_iter_"),
}

_TRAMPOLINE = ("fentry", "fexit", "fmod_ret", "lsm")


def _restriction(kind: str) -> str:
    return (f"this kernel refuses {kind} programs with EPERM even for root: BPF trampolines "
            "(fentry/fexit/fmod_ret/LSM/freplace) are disabled or denied by its "
            "configuration or security policy; use a tracepoint, raw_tracepoint or tp_btf "
            "program instead")


@dataclass(frozen=True)
class AttachTarget:
    """What a BTF-attached program must be loaded with."""

    kind: str
    name: str
    btf_name: str
    prog_type: str
    expected_attach_type: int
    attach_btf_id: int


def attach_target(kind: str, name: str) -> AttachTarget:
    """Resolve ``name`` ("do_unlinkat", "file_open", "sys_enter", "task") for ``kind``.

    Raises `BtfError` naming the kind and the missing vmlinux type.

    >>> attach_target("tp_btf", "sys_enter").btf_name     # doctest: +SKIP
    'btf_trace_sys_enter'
    """
    try:
        prog_type, attach_type, btf_kind, prefix = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown BTF attach kind {kind!r}: expected one of {', '.join(KINDS)}") from None
    from ...btf import vmlinux  # lazy: vmlinux BTF loads only to find a target

    btf_name = name if name.startswith(prefix) else prefix + name
    try:
        type_id = vmlinux().find(btf_name, btf_kind)
    except BtfError:
        raise BtfError(f"{kind} target {name!r}: no {btf_kind} named {btf_name!r} in the vmlinux "
                       "BTF of the running kernel") from None
    return AttachTarget(kind, name, btf_name, prog_type, attach_type, type_id)


def load(program: ProgramSpec, kind: str, target: str, *, maps: Mapping[str, Any] | None = None,
         options: LoadOptions | None = None) -> Program:
    """Load ``program`` as a ``kind`` program for ``target``; return the `Program`.

    The attach target (expected attach type, BTF id) is filled into ``options``; the rest
    is `pybpf.kernel.prog.load`'s. A refusal of trampoline kinds by this kernel comes back
    as a `ProgLoadError` naming the kind, the target and the restriction.
    """
    where = attach_target(kind, target)
    opts = replace(options or LoadOptions(), expected_attach_type=int(where.expected_attach_type),
                   attach_btf_id=where.attach_btf_id)
    try:
        return load_prog(program, where.prog_type, maps=maps, options=opts)
    except KernelError as e:
        if e.errno == errno.EPERM and kind in _TRAMPOLINE:
            refused = ProgLoadError(f"BPF_PROG_LOAD ({kind} {target})", e.errno,
                                    hint=_restriction(kind), log=getattr(e, "log", ""))
            # the text of a refusal with a log is explained as prog.load's own errors are
            refused.program = getattr(e, "program", program)
            refused.prog_type = getattr(e, "prog_type", where.prog_type)
            refused.explain = getattr(e, "explain", None)
            raise refused from None
        raise


def tracing_link(prog: HasFd | int, kind: str, *, cookie: int = 0, target: str = "") -> Link:
    """Attach a loaded BTF-targeted program with BPF_LINK_CREATE (its target came with the load)."""
    _, attach_type, _, _ = KINDS[kind]
    attr = _attr.link_create(prog_fd(prog), 0, attach_type, 0, tracing__cookie=cookie)
    label = target or getattr(prog, "name", "") or kind
    hints = {
        errno.EINVAL: f"the program must be loaded as a {kind} program (expected attach type "
                      f"BPF_{attach_type.name} with its target's BTF id)",
        errno.EBUSY: f"the {kind} program is already attached",
    }
    if kind in _TRAMPOLINE:
        hints[errno.EPERM] = _restriction(kind)
    fd = kernel_call(kind, Cmd.LINK_CREATE, attr, target=label, hints=hints)
    return Link(fd, kind=kind, target=label)


def fentry(prog: HasFd | int, *, cookie: int = 0) -> Link:
    """Attach a loaded fentry program (see `load`)."""
    return tracing_link(prog, "fentry", cookie=cookie)


def fexit(prog: HasFd | int, *, cookie: int = 0) -> Link:
    """Attach a loaded fexit program."""
    return tracing_link(prog, "fexit", cookie=cookie)


def fmod_ret(prog: HasFd | int, *, cookie: int = 0) -> Link:
    """Attach a loaded fmod_ret program."""
    return tracing_link(prog, "fmod_ret", cookie=cookie)


def lsm(prog: HasFd | int, *, cookie: int = 0) -> Link:
    """Attach a loaded LSM program."""
    return tracing_link(prog, "lsm", cookie=cookie)


def tp_btf(prog: HasFd | int, *, cookie: int = 0) -> Link:
    """Attach a loaded tp_btf program (a BTF-typed raw tracepoint)."""
    return tracing_link(prog, "tp_btf", cookie=cookie)
