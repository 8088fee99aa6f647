"""Global functions: checked against their BTF prototype at each call, verified on their own.

A global (non-static) function of a program compiled with ``-g`` is verified once, for any
arguments its prototype allows (``btf_prepare_func_args``): an integer is any scalar, a
pointer to the program type's context type is the context, a pointer to other data is
memory of the pointee's size that may be NULL, ``struct bpf_dynptr *`` a dynptr, and the
``arg:`` declaration tags (``__arg_ctx``, ``__arg_trusted``, ``__arg_nonnull``...) refine
that. At each call the caller's registers must match (``btf_check_func_arg_match``), else
``Caller passes invalid args into func#N``.

>>> ArgSpec("anything").kind
'anything'
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..btf.format import Kind
from . import btf_types
from .report import Reject
from .state import MAYBE_NULL, RDONLY, RT, TRUSTED, UNTRUSTED, Frame, Reg, State

if TYPE_CHECKING:
    from .session import Session

_MODIFIERS = (Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG)


@dataclass(frozen=True)
class ArgSpec:
    """One argument: "anything", "ctx", "mem", "btf", "dynptr" or "arena", with flags."""

    kind: str
    flags: int = 0
    mem_size: int = 0
    btf_id: int = 0


class ArgError(Exception):
    """btf_prepare_func_args refused the prototype (the message, or "" for a silent -EINVAL)."""


@lru_cache(maxsize=64)
def _ctx_type_name(prog_type: str) -> str:
    """The program type's context type name, from the kernel's ``struct bpf_ctx_convert``."""
    b = btf_types.kernel()
    rec = b[btf_types.find(b, "bpf_ctx_convert", "struct")]
    want = f"BPF_PROG_TYPE_{prog_type.upper()}_prog"
    for m in rec.members:
        if m.name == want:
            t = b[m.type]
            return t.name
    return ""


def _skip(btf: Any, tid: int) -> Any:
    t = btf[tid]
    while t.kind in _MODIFIERS:
        t = btf[t.type]
    return t


def kern_ctx_btf_id(prog_type: str) -> int:
    """get_kern_ctx_btf_id: the kernel's own context struct of a program type (-1: none), in
    the judged kernel's BTF (cached per BTF: a fleet check judges several kernels)."""
    return _kern_ctx_btf_id(btf_types.kernel(), prog_type)


@lru_cache(maxsize=64)
def _kern_ctx_btf_id(b: Any, prog_type: str) -> int:
    rec = b[btf_types.find(b, "bpf_ctx_convert", "struct")]
    want = f"BPF_PROG_TYPE_{prog_type.upper()}_kern"
    for m in rec.members:
        if m.name == want:
            tid, t = btf_types.skip_modifiers(b, m.type)
            return m.type if btf_types.is_struct(b[m.type]) else -1
    return -1


def is_prog_ctx_type(btf: Any, ptr: Any, prog_type: str) -> bool:
    """btf_is_prog_ctx_type: ``ptr`` (a BTF pointer) points to the program type's context."""
    t = btf[ptr.type]
    if prog_type == "kprobe":
        while t.kind in _MODIFIERS and t.kind != Kind.TYPEDEF:
            t = btf[t.type]
        if t.kind == Kind.TYPEDEF and t.name == "bpf_user_pt_regs_t":
            return True
    while t.kind in _MODIFIERS:
        t = btf[t.type]
    if t.kind not in (Kind.STRUCT, Kind.UNION) or not t.name:
        return False
    ctx = _ctx_type_name(prog_type)
    if not ctx:
        return False
    if (ctx, t.name) in (("__sk_buff", "sk_buff"), ("xdp_md", "xdp_buff")):
        return True
    if ctx == t.name:
        return True
    if ctx == "bpf_user_pt_regs_t":
        return t.name == "pt_regs"
    return False


def _tags(btf: Any, func_id: int, arg: int) -> list[str]:
    out = []
    for rec in _decl_tags(btf).get((func_id, arg), ()):
        if rec.startswith("arg:"):
            out.append(rec[4:])
    return out


_TAG_CACHE: dict[int, dict[tuple[int, int], list[str]]] = {}


def _decl_tags(btf: Any) -> dict[tuple[int, int], list[str]]:
    key = id(btf)
    got = _TAG_CACHE.get(key)
    if got is None:
        got = {}
        for rec in btf:
            if rec.kind == Kind.DECL_TAG:
                got.setdefault((rec.type, rec.component_idx), []).append(rec.name)
        _TAG_CACHE[key] = got
    return got


def prepare_args(v: Session, start: int) -> list[ArgSpec]:
    """btf_prepare_func_args for the function starting at instruction ``start`` (once per
    run and function: the kernel keeps the result in its subprog info)."""
    got = v.arg_specs.get(start)
    if got is None:
        try:
            got = _prepare_args(v, start)
        except ArgError as e:
            got = ArgError(*e.args)  # (kept without its traceback: that holds the run's frames)
        v.arg_specs[start] = got
    if isinstance(got, ArgError):
        raise ArgError(*got.args)
    return got


def _prepare_args(v: Session, start: int) -> list[ArgSpec]:
    pb = v.btf
    assert pb is not None
    btf = pb.btf
    func_id = pb.funcs.get(start, 0)
    is_global = pb.is_global(start)
    if not func_id:
        if not is_global:
            raise ArgError("")
        raise ArgError("Global functions need valid BTF")
    fn = btf[func_id]
    proto = btf[fn.type]
    tname = fn.name
    params = proto.params
    if len(params) > 5:
        if not is_global:
            raise ArgError("")
        raise ArgError(f"Global function {tname}() with {len(params)} > 5 args. Buggy compiler.")
    ret = _skip(btf, proto.type) if proto.type else None
    if ret is None or ret.kind not in (Kind.INT, Kind.ENUM, Kind.ENUM64):
        if not is_global:
            raise ArgError("")
        raise ArgError(f"Global function {tname}() doesn't return scalar. Only those are supported.")
    out: list[ArgSpec] = []
    tagged = v.kernel.has_feature("global_func_arg_tags")  # before 6.8 the tags mean nothing
    for n, p in enumerate(params):
        tags = _tags(btf, func_id, n) if tagged else []
        for tg in tags:
            if not is_global:
                raise ArgError(f"arg#{n} type tag is not supported in static functions")
            if tg not in ("ctx", "trusted", "untrusted", "nonnull", "nullable", "arena"):
                raise ArgError(f"arg#{n} has unsupported set of tags")
        t = _skip(btf, p.type)
        if t.kind == Kind.PTR:
            if "ctx" in tags or is_prog_ctx_type(btf, t, v.prog_type):
                if set(tags) - {"ctx"}:
                    raise ArgError(f"arg#{n} has invalid combination of tags")
                out.append(ArgSpec("ctx"))
                continue
            target = _skip(btf, t.type)
            if target.kind == Kind.STRUCT and target.name == "bpf_dynptr":
                if tags:
                    raise ArgError(f"arg#{n} has invalid combination of tags")
                out.append(ArgSpec("dynptr", RDONLY))
                continue
            if "trusted" in tags:
                kid = _kernel_id(target, n)
                out.append(ArgSpec("btf", TRUSTED | (MAYBE_NULL if "nullable" in tags else 0),
                                   btf_id=kid))
                continue
            if "untrusted" in tags:
                if target.kind in (Kind.INT, Kind.FLOAT, Kind.ENUM, Kind.ENUM64, Kind.UNKN):
                    out.append(ArgSpec("mem", RDONLY | UNTRUSTED))
                    continue
                out.append(ArgSpec("btf", UNTRUSTED, btf_id=_kernel_id(target, n)))
                continue
            if "arena" in tags:
                out.append(ArgSpec("arena"))
                continue
            if is_global:
                if "nullable" in tags:
                    raise ArgError(f"arg#{n} has invalid combination of tags")
                ref = _skip(btf, t.type) if t.type else btf[0]
                try:
                    if not t.type or ref.kind in (Kind.FUNC_PROTO, Kind.FWD):
                        raise ValueError
                    size = btf.size_of(t.type)
                except Exception:  # noqa: BLE001
                    rname = ref.name if int(ref.kind) else ""
                    raise ArgError(f"arg#{n} reference type('{btf_types.kind_str(ref)} "
                                   f"{rname}') size cannot be determined: -22") from None
                flags = 0 if "nonnull" in tags else MAYBE_NULL
                out.append(ArgSpec("mem", flags, size))
                continue
        if tags:
            raise ArgError(f"arg#{n} has pointer tag, but is not a pointer type")
        if t.kind in (Kind.INT, Kind.ENUM, Kind.ENUM64):
            out.append(ArgSpec("anything"))
            continue
        if not is_global:
            raise ArgError("")
        raise ArgError(f"Arg#{n} type {btf_types.kind_str(t)} in {tname}() is not supported yet.")
    return out


def _kernel_id(target: Any, n: int) -> int:
    b = btf_types.kernel()
    try:
        return btf_types.find(b, target.name, "struct")
    except Exception:  # noqa: BLE001
        raise ArgError(f"arg#{n} reference type('{target.kind.name} {target.name}') size cannot "
                       "be determined") from None


def check_call_args(v: Session, start: int, regs: list[Reg], st: State) -> list[str]:
    """btf_check_func_arg_match: log lines when the registers do not fit the prototype."""
    try:
        args = prepare_args(v, start)
    except ArgError as e:
        return [str(e)] if str(e) else ["(unreliable BTF)"]
    for n, a in enumerate(args):
        regno = n + 1
        reg = regs[regno]
        if a.kind == "anything":
            if reg.type is not RT.SCALAR:
                return [f"R{regno} is not a scalar"]
        elif a.flags & UNTRUSTED:
            continue
        elif a.kind == "ctx":
            err = _reg_off(reg, regno)
            if err:
                return err
            if reg.type is not RT.PTR_TO_CTX:
                return [f"arg#{n} expects pointer to ctx"]
        elif a.kind == "mem":
            err = _reg_off(reg, regno)
            if err:
                return err
            if reg.is_null_const:
                # the running 6.18 build marks a NULL argument precise and refuses it where the
                # prototype does not allow NULL
                v.mark_precise(st, regno)
                if not a.flags & MAYBE_NULL and v.kernel.has_feature("global_func_null_arg_refused"):
                    return [f"arg#{n} is expected to be non-NULL"]
            if not reg.is_null_const:
                from . import mem

                saved = reg
                if reg.flags & MAYBE_NULL:
                    regs[regno] = reg.with_(flags=reg.flags & ~MAYBE_NULL)
                try:
                    mem.helper_access(v, st, regno, a.mem_size, write=False, zero_ok=True,
                                      insn=st.insn)
                    mem.helper_access(v, st, regno, a.mem_size, write=True, zero_ok=True,
                                      insn=st.insn)
                except Reject as rej:
                    return rej.lines
                finally:
                    regs[regno] = saved
            if not a.flags & MAYBE_NULL and reg.flags & MAYBE_NULL:
                return [f"arg#{n} is expected to be non-NULL"]
        elif a.kind == "arena":
            if reg.type not in (RT.PTR_TO_ARENA, RT.SCALAR):
                return [f"R{regno} is not a pointer to arena or scalar."]
        elif a.kind == "btf":
            if reg.is_null_const and a.flags & MAYBE_NULL:
                continue
            if reg.type is not RT.PTR_TO_BTF_ID:
                return [f"R{regno} type={reg.type_label()} expected=ptr_, trusted_ptr_, rcu_ptr_"]
    return []


def _reg_off(reg: Reg, regno: int) -> list[str]:
    from .calls import check_ptr_off

    t = reg.type
    if t in (RT.PTR_TO_STACK, RT.PTR_TO_PACKET, RT.PTR_TO_PACKET_META, RT.PTR_TO_MAP_KEY,
             RT.PTR_TO_MAP_VALUE, RT.PTR_TO_MEM, RT.PTR_TO_BUF, RT.SCALAR, RT.PTR_TO_FUNC):
        return []
    try:
        check_ptr_off(0, regno, reg, t is RT.PTR_TO_BTF_ID)
    except Reject as rej:
        return rej.lines
    return []


def entry_state(v: Session, start: int) -> State:
    """The state a global function is verified from: its registers typed by its prototype."""
    try:
        args = prepare_args(v, start)
    except ArgError as e:
        raise Reject(None, str(e), "helper_arg_type") from None
    st = State()
    frame = Frame(frameno=0, callsite=-1, subprog=start)
    regs = frame.regs
    regs[10] = Reg.ptr(RT.PTR_TO_STACK, frameno=0)
    for n, a in enumerate(args):
        r = n + 1
        if a.kind == "ctx":
            regs[r] = Reg.ptr(RT.PTR_TO_CTX)
        elif a.kind in ("anything", "arena"):
            regs[r] = Reg.scalar()
        elif a.kind == "dynptr":
            regs[r] = Reg.ptr(RT.CONST_PTR_TO_DYNPTR, dyn_type=1, first_slot=True, id=v.new_id())
        elif a.kind == "mem":
            out = Reg.ptr(RT.PTR_TO_MEM, flags=a.flags & (MAYBE_NULL | UNTRUSTED | RDONLY),
                          mem_size=a.mem_size)
            if a.flags & MAYBE_NULL:
                out = out.with_(id=v.new_id())
            regs[r] = out
        elif a.kind == "btf":
            regs[r] = Reg.ptr(RT.PTR_TO_BTF_ID, flags=a.flags & (MAYBE_NULL | UNTRUSTED | TRUSTED),
                              btf_id=a.btf_id, id=v.new_id())
    st.frames = [frame]
    st.insn = start
    st.in_sleepable = v.sleepable
    v.set_frame_chain(st, frame)
    return st


__all__ = ["ArgSpec", "check_call_args", "entry_state", "prepare_args"]
