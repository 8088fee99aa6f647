"""The kfuncs a program may name: their prototypes from the kernel's BTF, their flags as data.

A kfunc call (``call`` with ``src=2``, ``imm`` the BTF id of a ``FUNC`` in
/sys/kernel/btf/vmlinux) names a `Kfunc`: its parameters and return type from BTF, its
``KF_*`` flags from the kernel's registrations (`pybpf.verifier.generated.kfunc_flags`: BTF
does not carry them). `check_program` is the kernel's ``add_kfunc_call`` (every call names a
function, only GPL-compatible programs call kfuncs); `call_info` is what the static analyses
need about a call, its availability to the program type included.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..btf import types as T
from ..isa import Insn, RefKind
from . import btf_types
from .analysis import CallInfo
from .generated.kfunc_flags import KF, KFUNC_FLAGS
from .report import Reject

if TYPE_CHECKING:
    from .session import Session


ACQUIRE, RELEASE, RET_NULL = KF["KF_ACQUIRE"], KF["KF_RELEASE"], KF["KF_RET_NULL"]
TRUSTED_ARGS, SLEEPABLE, DESTRUCTIVE = KF["KF_TRUSTED_ARGS"], KF["KF_SLEEPABLE"], KF["KF_DESTRUCTIVE"]
KF_RCU, ITER_NEW, ITER_NEXT = KF["KF_RCU"], KF["KF_ITER_NEW"], KF["KF_ITER_NEXT"]
ITER_DESTROY, RCU_PROTECTED = KF["KF_ITER_DESTROY"], KF["KF_RCU_PROTECTED"]
ITER_ANY = ITER_NEW | ITER_NEXT | ITER_DESTROY


@dataclass(frozen=True)
class Param:
    """One BTF parameter: its name (with the kernel's suffix conventions) and type id."""

    name: str
    type: int


@dataclass(frozen=True)
class Kfunc:
    """A kfunc: its BTF id and name in the kernel's BTF, parameters, return type, flags."""

    btf_id: int
    name: str
    params: tuple[Param, ...]
    ret: int
    flags: int

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)


@lru_cache(maxsize=4096)
def _lookup(btf: Any, btf_id: int) -> Kfunc | None:
    try:
        rec = btf[btf_id]
    except Exception:  # noqa: BLE001 - an id out of range is "not a function"
        return None
    if not isinstance(rec, T.Func):
        return None
    proto = btf[rec.type]
    if not isinstance(proto, T.FuncProto):
        return None
    params = tuple(Param(p.name, p.type) for p in proto.params)
    return Kfunc(btf_id, rec.name, params, proto.type, KFUNC_FLAGS.get(rec.name, 0))


def lookup(btf_id: int) -> Kfunc | None:
    """The kfunc of BTF id ``btf_id`` in the judged kernel's BTF (None: not a function)."""
    return _lookup(btf_types.kernel(), btf_id)


def resolve(v: Session, insn: Insn, i: int) -> int:
    """The BTF id a kfunc call names: its ``imm``, or the kernel's id of the name the program
    refers to (an object verified before a loader bound its externs)."""
    if insn.imm:
        return insn.imm
    ref = v.program.refs.get(i)
    if ref is not None and ref.kind is RefKind.KFUNC:
        try:
            return btf_types.kernel().find(ref.name, "func")
        except Exception:  # noqa: BLE001
            return 0
    return 0


def call_info(v: Session, insn: Insn, i: int = -1) -> CallInfo | None:
    """What the static analyses need about a kfunc call (None: no such kfunc)."""
    btf_id = resolve(v, insn, i) if i >= 0 else insn.imm
    kf = lookup(btf_id) if btf_id and not insn.off else None
    if kf is None:
        return None
    return CallInfo("kfunc", kf.name, len(kf.params),
                    sync_callback=kf.name == "bpf_rbtree_add_impl",
                    async_callback=kf.name.startswith(("bpf_wq_set_callback", "bpf_task_work_")),
                    iter_next=kf.has(ITER_NEXT) and v.kernel.kfunc_allowed(kf.name, v.prog_type,
                                                                           v.attach))


def check_program(v: Session) -> None:
    """add_kfunc_call, before anything else: every kfunc call names a function of the kernel's
    BTF, and only GPL-compatible programs call kfuncs."""
    from ..isa import CallSrc

    insns = v.insns
    for i in v.call_sites:
        insn = insns[i]
        if insn.src != CallSrc.KFUNC:
            continue
        if not v.gpl:
            raise Reject(None, "cannot call kernel function from non-GPL compatible program",
                         "helper_not_allowed")
        if insn.off:
            raise Reject(None, "calls of kfuncs in kernel modules are not modelled",
                         "unsupported")
        btf_id = resolve(v, insn, i)
        if not btf_id:
            continue
        try:
            rec = btf_types.kernel()[btf_id]
        except Exception:  # noqa: BLE001
            rec = None
        if not isinstance(rec, T.Func):
            raise Reject(None, f"kernel btf_id {btf_id} is not a function", "unknown_helper")
