"""The kernel's rules for a loader without CAP_PERFMON/CAP_SYS_ADMIN (``--unprivileged``).

Such a loader (CAP_BPF kept, as a root process that dropped CAP_PERFMON and CAP_SYS_ADMIN
from its bounding set) gets the verifier's ``!allow_ptr_leaks``, ``!allow_uninit_stack``
and ``!bypass_spec_v1`` rules on top of the usual ones. `UnprivilegedRules` adds them to a
run of pybpf's verifier as an `Observer` that looks at each state before (and after) the
instruction runs and rejects with the running kernel's words:

- reading stack bytes never written (LDX and helper memory arguments):
  ``invalid read from stack R2 off=-16 size=4`` / ``... off -8+4 size 8``;
- pointers escaping: ``R10 leaks addr into map``, ``... into ctx``, ``R0 leaks addr as
  return value``, ``R1 pointer comparison prohibited``, ``R10 partial copy of pointer``;
- speculative-execution sanitation: ``R3 variable stack access prohibited for !root, ...``,
  ``R0 pointer arithmetic of map value goes out of range, prohibited for !root``;
- the helpers that need CAP_PERFMON (``program of this type cannot use helper ...``) and
  the program types that do (EPERM before any verification).

>>> from pybpf.asm import assemble
>>> from pybpf.verifier.engine import verify
>>> p = assemble("r0 = r10\\nexit")
>>> verify(p, "socket_filter", observer=rules_for(p, "socket_filter")).message
'R0 leaks addr as return value'
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import AluOp, CallSrc, Class, Insn, JmpOp, Mode, helper_name
from ..verifier.observer import Observer
from ..verifier.report import Reject
from ..verifier.state import RT, Slot

if TYPE_CHECKING:
    from ..isa import ProgramSpec
    from ..verifier.state import Reg, State

#: program types a loader without CAP_PERFMON may not load (EPERM, no log)
PERFMON_PROG_TYPES = frozenset({"kprobe", "tracepoint", "perf_event", "raw_tracepoint",
                                "raw_tracepoint_writable", "tracing", "lsm", "ext"})
#: helpers the kernel offers only to CAP_PERFMON (bpf_base_func_proto)
PERFMON_HELPERS = frozenset({
    "trace_printk", "trace_vprintk", "snprintf_btf", "get_current_task", "get_current_task_btf",
    "probe_read_user", "probe_read_user_str", "probe_read_kernel", "probe_read_kernel_str",
    "per_cpu_ptr", "this_cpu_ptr", "task_pt_regs", "probe_read", "probe_read_str",
    "copy_from_user", "copy_from_user_task"})


#: pointer types the kernel knows are not NULL (reg_not_null): a test against 0 is decided
_NOT_NULL = frozenset({RT.PTR_TO_MAP_VALUE, RT.PTR_TO_MAP_KEY, RT.PTR_TO_SOCKET,
                       RT.PTR_TO_SOCK_COMMON, RT.PTR_TO_MEM})


def _stack_byte(frame_stack: bytearray, off: int) -> int:
    return frame_stack[-off - 1] if -512 <= off < 0 else Slot.MISC


class UnprivilegedRules(Observer):
    """Rejects what the kernel rejects for a loader without CAP_PERFMON (see the module)."""

    def __init__(self, prog_type: str | None = None) -> None:
        self.prog_type = prog_type
        self.insns: list[Insn] = []
        self._st: State | None = None
        self._i = -1

    def setup(self, slots: list[int]) -> None:
        if self.prog_type in PERFMON_PROG_TYPES:
            raise Reject(None, f"loading a {self.prog_type} program needs CAP_PERFMON (the kernel "
                         "answers EPERM before verifying)", "privileges")

    def insn_start(self, st: State) -> None:
        self._st = st
        self._i = i = st.insn
        insn = self.insns[i] if self.insns else None
        if insn is None:
            return
        cls = insn.cls
        regs = st.regs
        if cls == Class.LDX:
            base = regs[insn.src]
            if base.type is RT.PTR_TO_STACK and base.var.is_const:
                self._stack_read(st, insn.src, base, base.off + base.var.value + insn.off,
                                 insn.size, i, helper=False)
        elif cls in (Class.STX,) and insn.mode in (Mode.MEM, Mode.ATOMIC):
            val, dst = regs[insn.src], regs[insn.dst]
            if val.is_pointer and dst.type is not RT.PTR_TO_STACK:
                where = {RT.PTR_TO_MAP_VALUE: "map", RT.PTR_TO_CTX: "ctx"}.get(dst.type, "mem")
                raise Reject(i, f"R{insn.src} leaks addr into {where}", "pointer_leak",
                             reg=insn.src)
        elif cls in (Class.JMP, Class.JMP32):
            self._jump(st, insn, i)
        elif cls in (Class.ALU, Class.ALU64):
            if cls == Class.ALU64 and insn.op in (AluOp.ADD, AluOp.SUB) and insn.uses_src_reg \
                    and regs[insn.dst].is_pointer and regs[insn.src].is_pointer:
                sym = "+=" if insn.op == AluOp.ADD else "-="
                raise Reject(i, f"R{insn.dst} pointer {sym} pointer prohibited", "pointer_leak",
                             reg=insn.dst)
            if insn.op == AluOp.MOV and insn.uses_src_reg and cls == Class.ALU and \
                    regs[insn.src].is_pointer:
                raise Reject(i, f"R{insn.src} partial copy of pointer", "pointer_leak",
                             reg=insn.src)

    def insn_done(self, st: State | None, insn: Insn | None, i: int, slot: int | None, *,
                  decided: bool) -> None:
        if st is None or insn is None or insn.cls != Class.ALU64 or \
                insn.op not in (AluOp.ADD, AluOp.SUB):
            return
        reg = st.regs[insn.dst]
        if reg.type is RT.PTR_TO_STACK and not reg.var.is_const:
            raise Reject(i, f"R{insn.dst} variable stack access prohibited for !root, "
                         f"var_off={reg.var.var_off.fmt()} off={reg.off}", "pointer_leak",
                         reg=insn.dst)
        if reg.type is RT.PTR_TO_STACK and not (-512 <= reg.off + reg.var.value <= 0):
            raise Reject(i, f"R{insn.dst} stack pointer arithmetic goes out of range, prohibited "
                         f"for !root; off={reg.off + reg.var.value}", "pointer_leak", reg=insn.dst)
        if reg.type is RT.PTR_TO_MAP_VALUE and reg.map is not None and not reg.maybe_null:
            from ..verifier.mem import check_region

            try:
                check_region(reg, insn.dst, reg.off, 1, reg.map.value_size, i, "map_value_oob")
            except Reject as rej:
                rej.lines.append(f"R{insn.dst} pointer arithmetic of map value goes out of range, "
                                 "prohibited for !root")
                rej.cls = "map_value_oob"
                raise

    # -- pieces -----------------------------------------------------------------------
    def _stack_read(self, st: State, regno: int, base: Reg, off: int, size: int, i: int, *,
                    helper: bool) -> None:
        frame = st.frames[base.frameno] if base.frameno < len(st.frames) else st.frame
        bad = [b for b in range(size) if _stack_byte(frame.stack, off + b) == Slot.INVALID]
        if not bad:
            return
        if len(bad) == size and not helper or (helper and bad[0] == 0 and len(bad) == size):
            raise Reject(i, f"invalid read from stack R{regno} off={off} size={size}",
                         "stack_uninit_read", reg=regno)
        if helper:
            raise Reject(i, f"invalid read from stack R{regno} off {off}+{bad[0]} size {size}",
                         "stack_uninit_read", reg=regno)
        raise Reject(i, f"invalid read from stack off {off}+{bad[0]} size {size}",
                     "stack_uninit_read", reg=regno)

    def _jump(self, st: State, insn: Insn, i: int) -> None:
        op = insn.op
        regs = st.regs
        if op == JmpOp.EXIT:
            if len(st.frames) == 1 and regs[0].is_pointer:
                raise Reject(i, "R0 leaks addr as return value", "pointer_leak", reg=0)
            return
        if op == JmpOp.CALL:
            if insn.src == CallSrc.HELPER:
                self._helper(st, insn, i)
            return
        if op == JmpOp.JA or op == JmpOp.JCOND:
            return
        dst = regs[insn.dst]
        if insn.uses_src_reg:
            src = regs[insn.src]
            if src.is_pointer and not (dst.type.is_packet or dst.type is RT.PTR_TO_PACKET_END) \
                    or (src.is_pointer and not (src.type.is_packet or
                                                src.type is RT.PTR_TO_PACKET_END)):
                raise Reject(i, f"R{insn.src} pointer comparison prohibited", "pointer_leak",
                             reg=insn.src)
            if dst.is_pointer and not (dst.type.is_packet or dst.type is RT.PTR_TO_PACKET_END):
                raise Reject(i, f"R{insn.dst} pointer comparison prohibited", "pointer_leak",
                             reg=insn.dst)
            return
        null_test = insn.imm == 0 and op in (JmpOp.JEQ, JmpOp.JNE)
        if dst.is_pointer and not (null_test and (dst.maybe_null or dst.type in _NOT_NULL)):
            raise Reject(i, f"R{insn.dst} pointer comparison prohibited", "pointer_leak",
                         reg=insn.dst)

    def _helper(self, st: State, insn: Insn, i: int) -> None:
        from ..verifier.helper_protos import ArgKind, proto

        name = (helper_name(insn.imm) or "")[4:]
        if name in PERFMON_HELPERS:
            raise Reject(i, f"program of this type cannot use helper bpf_{name}#{insn.imm}",
                         "helper_not_allowed")
        try:
            p = proto(insn.imm)
        except (KeyError, ValueError):
            return
        if not getattr(p, "known", True):
            return
        regs = st.regs
        mapref = regs[1].map if regs[1].type is RT.CONST_PTR_TO_MAP else None
        for n, arg in enumerate(p.args, start=1):
            reg = regs[n]
            if reg.type is not RT.PTR_TO_STACK or not reg.var.is_const:
                continue
            size = None
            if arg.kind is ArgKind.PTR_TO_MAP_KEY and mapref is not None:
                size = mapref.key_size
            elif arg.kind is ArgKind.PTR_TO_MAP_VALUE and mapref is not None:
                size = mapref.value_size
            elif arg.kind is ArgKind.PTR_TO_MEM and not arg.uninit:
                size = arg.fixed_size
                if size is None and n < 5 and regs[n + 1].is_scalar:
                    size = regs[n + 1].var.umax if regs[n + 1].var.umax < 1 << 16 else None
            if size:
                self._stack_read(st, n, reg, reg.off + reg.var.value, int(size), i, helper=True)


def rules_for(program: ProgramSpec, prog_type: str | None) -> UnprivilegedRules:
    """`UnprivilegedRules` for ``program`` (it needs the instructions to look at)."""
    r = UnprivilegedRules(prog_type)
    r.insns = program.resolve()
    return r


__all__ = ["PERFMON_HELPERS", "PERFMON_PROG_TYPES", "UnprivilegedRules", "rules_for"]
