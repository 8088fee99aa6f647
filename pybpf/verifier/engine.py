"""The verifier: explore every path of a program over abstract states, like the kernel.

`verify(program, prog_type)` returns a `Report`. Exploration is depth-first:
at an undecided branch the jump target is pushed and the fall-through is
followed first (the kernel's order, so the first error found is the kernel's).
At the kernel's prune points (conditional jumps and their targets, goto targets, the
instruction after a call) a state
already proven safe that subsumes the current one ends the path; an identical
state still being explored means an infinite loop. Completion is tracked by
counting live branches below each checkpoint, as the kernel's ``branches`` does.

>>> from pybpf.asm import assemble
>>> verify(assemble("r0 = 0\\nexit"), "socket_filter").accepted
True
>>> r = verify(assemble("r0 = *(u64 *)(r1 + 1000)\\nexit"), "socket_filter")
>>> r.message, r.error_class
('invalid bpf_context access off=1000 size=8', 'ctx_access')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..isa import (
    LDDW,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    Insn,
    JmpOp,
    Mode,
    ProgramSpec,
    PseudoSrc,
    RefKind,
    helper_id,
)
from ..isa.opcodes import SIZE_BYTES, Size
from . import calls, kernel_profile, mem
from .cfg import check_cfg, liveness, precision_needed
from .kernel_profile import KernelProfile
from .log import kernel_text, log_insn, snapshot, state_text
from .prune import states_identical, subsumes
from .report import Reject, Report
from .scalar import Scalar
from .scalar_alu import fork_minus_one_or_zero
from .scalar_branch import branch
from .state import RT, MapRef, Reg, State
from .tnum import Tnum

MAX_PROCESSED = 1_000_000
MAX_JMP_SEQ = 8192  # pending branches (BPF_COMPLEXITY_LIMIT_JMP_SEQ)
MAX_COMPARED = 16  # checkpoints compared at one instruction (newest first)
MAX_STATES_PER_INSN = 256  # checkpoints kept at one instruction
BPF_MAX_VAR_OFF = 1 << 29
S64_MIN = -(1 << 63)
_U64 = (1 << 64) - 1

#: program type -> (min, max) of R0 at exit (check_return_code); absent: any value
RETURN_RANGES: dict[str, tuple[int, int]] = {
    "cgroup_skb": (0, 1), "cgroup_sock": (0, 1), "cgroup_sock_addr": (0, 1),
    "cgroup_sysctl": (0, 1), "cgroup_device": (0, 1), "cgroup_sockopt": (0, 1),
    "sock_ops": (0, 1), "sk_lookup": (0, 1),
}
#: expected attach types with their own ranges
ATTACH_RETURN_RANGES = {"cgroup_inet_egress": (0, 3), "cgroup_udp4_recvmsg": (1, 1),
                        "cgroup_udp6_recvmsg": (1, 1), "cgroup_unix_recvmsg": (1, 1),
                        "cgroup_inet4_getpeername": (1, 1), "cgroup_inet6_getpeername": (1, 1),
                        "cgroup_inet4_getsockname": (1, 1), "cgroup_inet6_getsockname": (1, 1)}
_LD_ABS_TYPES = {"socket_filter", "sched_cls", "sched_act"}
#: tracing programs run on a private stack per frame: no combined-size limit (measured)
_TAIL_CALL = helper_id("tail_call")
_PRIVATE_STACK_TYPES = {"tracepoint", "raw_tracepoint", "perf_event", "kprobe", "tracing",
                        "raw_tracepoint_writable"}

_BITWISE = {AluOp.ADD: "+=", AluOp.SUB: "-=", AluOp.AND: "&=", AluOp.OR: "|=", AluOp.XOR: "^=", AluOp.LSH: "<<=",
            AluOp.RSH: ">>=", AluOp.ARSH: "s>>=", AluOp.MUL: "*=", AluOp.DIV: "/=",
            AluOp.MOD: "%="}


class _Entry:
    """A checkpoint: a state seen at a prune point, and how many live paths are below it."""

    __slots__ = ("state", "branches", "parent")

    def __init__(self, state: State, parent: _Entry | None) -> None:
        self.state = state
        self.branches = 1
        self.parent = parent


def _mapref(name: str, src: Any, maps: Mapping[str, Any], decls: Mapping[str, Any]) -> MapRef:
    """A `MapRef` from a `MapDecl` or a kernel `Map` (with its inner map, for map-in-map)."""
    info = src.info() if hasattr(src, "info") and not hasattr(src, "key_size") else src
    inner = None
    inner_src = getattr(src, "extra", {}).get("inner_decl") if hasattr(src, "extra") else None
    if inner_src is None and getattr(src, "inner", None):
        inner_src = maps.get(src.inner) or decls.get(src.inner)
    if inner_src is not None:
        inner = _mapref(getattr(inner_src, "name", "inner"), inner_src, maps, decls)
    return MapRef(name, str(info.type), int(info.key_size), int(info.value_size),
                  int(info.max_entries), int(getattr(info, "flags", 0) or 0), inner)


class Verifier:
    """One verification run; use `verify`."""

    def __init__(self, program: ProgramSpec, prog_type: str, *, maps: Mapping[str, Any] | None = None,
                 expected_attach_type: str | None = None, log: bool = False,
                 func_info: bool = False, kernel: KernelProfile | None = None) -> None:
        self.program = program
        self.kernel = kernel if kernel is not None else kernel_profile.default()
        self.func_info = func_info
        self.log: list[str] | None = [] if log else None
        self.prog_type = prog_type
        self.attach = expected_attach_type
        self.insns = program.resolve()
        self.maprefs = self._map_refs(maps)
        self.processed = 0
        self.jmps = self.prev_jmps = self.prev_insns = 0
        self.max_depth: dict[int, int] = {}  # subprogram start -> deepest stack use seen
        self.explored: dict[int, list[_Entry]] = {}
        self.parents: dict[int, _Entry | None] = {}

    # -- setup ------------------------------------------------------------------------
    def _map_refs(self, maps: Mapping[str, Any] | None) -> dict[int, MapRef]:
        out: dict[int, MapRef] = {}
        for idx, ref in self.program.refs.items():
            if ref.kind is not RefKind.MAP:
                continue
            given = (maps or {}).get(ref.name)
            decl = self.program.maps.get(ref.name)
            src = given if given is not None else decl
            if src is None:
                raise Reject(idx, f"fd {ref.name} is not pointing to valid bpf_map",
                             "helper_arg_type")
            out[idx] = _mapref(ref.name, src, maps or {}, self.program.maps)
        return out

    def initial_state(self) -> State:
        st = State()
        regs = st.regs
        regs[1] = Reg.ptr(RT.PTR_TO_CTX)
        regs[10] = Reg.ptr(RT.PTR_TO_STACK, frameno=0)
        return st

    # -- driver -------------------------------------------------------------------------
    def run(self) -> Report:
        try:
            self.slots, self.index, self.subprogs = check_cfg(self.insns)
            self.live = liveness(self.insns, self.slots, self.index)
            checked = (ATTACH_RETURN_RANGES.get(self.attach or "")
                       or RETURN_RANGES.get(self.prog_type)) is not None
            self.precise = precision_needed(self.insns, self.slots, self.index, checked)
            self.prune_points = self._prune_points()
            self._explore()
            self._check_stack_depth()
        except Reject as rej:
            report = self._report(rej)
        else:
            report = Report(True, self.processed, program=self.program.name)
        if self.log is not None:
            if not report.accepted and report.message:
                self.log.extend(report.message.splitlines())
            self.log.append(f"processed {self.processed} insns (limit {MAX_PROCESSED})")
            report.log = "\n".join(self.log) + "\n"
        return report

    def note_depth(self, st: State) -> None:
        """Remember how deep each frame of ``st`` has used its stack (for the total check)."""
        md = self.max_depth
        for f in st.frames:
            d = f.stack_depth()
            if d > md.get(f.subprog, 0):
                md[f.subprog] = d

    def _prune_points(self) -> set[int]:
        """Where the kernel compares states (visit_insn): conditional jumps and their
        targets, goto targets, the instruction after a call, bpf-to-bpf calls."""
        points: set[int] = set()
        for i, insn in enumerate(self.insns):
            cls, op = insn.opcode & 7, insn.opcode & 0xF0
            if cls not in (Class.JMP, Class.JMP32) or op == JmpOp.EXIT:
                continue
            if op == JmpOp.CALL and cls == Class.JMP:
                points.add(i + 1)
                if insn.src == CallSrc.LOCAL:
                    points.add(i)
                continue
            rel = insn.imm if (cls == Class.JMP32 and op == JmpOp.JA) else insn.off
            target = self.index.get(self.slots[i] + 1 + rel)
            if target is not None:
                points.add(target)
            if op != JmpOp.JA:
                points.add(i)
        return points

    def _check_stack_depth(self) -> None:
        """The kernel's check_max_stack_depth: along every call chain, the frames' stack
        depths (each rounded up to 16 bytes, as with the JIT) add up to at most 512."""
        depth = self.max_depth
        callees: dict[int, set[int]] = {}
        starts = sorted(self.subprogs)
        for i, insn in enumerate(self.insns):
            if insn.opcode == (Class.JMP | JmpOp.CALL) and insn.src == CallSrc.LOCAL:
                caller = max(s for s in starts if s <= i)
                callees.setdefault(caller, set()).add(self.index[self.slots[i] + 1 + insn.imm])

        tail_calls = any(i.opcode == (Class.JMP | JmpOp.CALL) and i.src == CallSrc.HELPER
                         and i.imm == _TAIL_CALL for i in self.insns)
        if self.prog_type in _PRIVATE_STACK_TYPES and not tail_calls:
            return  # each frame has its own 512 bytes (not with tail calls: measured)

        def walk(sub: int, total: int, frames: int, seen: tuple[int, ...]) -> None:
            total += (depth.get(sub, 0) + 15) // 16 * 16  # the JIT rounds each frame to 16
            if total > 512:
                raise Reject(None, f"combined stack size of {frames} calls is {total}. Too large",
                             "call_depth")
            for callee in callees.get(sub, ()):
                if callee not in seen:
                    walk(callee, total, frames + 1, seen + (callee,))

        walk(0, 0, 1, (0,))

    def _report(self, rej: Reject) -> Report:
        expl, hint = rej.fill()
        text = None
        if rej.insn is not None and 0 <= rej.insn < len(self.insns):
            from ..asm import format_insn

            try:
                text = format_insn(self.insns[rej.insn])
            except Exception:  # noqa: BLE001 - text is a convenience
                text = None
        regs = {}
        origin = None
        last = getattr(self, "_last_state", None)
        if last is not None and rej.reg is not None and 0 <= rej.reg <= 10:
            regs[f"R{rej.reg}"] = last.regs[rej.reg].fmt()
            at = last.frame.origins[rej.reg]
            if at >= 0 and at != rej.insn:
                origin = self._origin_text(rej.reg, at)
        insn_slot = self.slots[rej.insn] if (rej.insn is not None and hasattr(self, "slots")) \
            else rej.insn
        return Report(False, self.processed, insn=insn_slot, insn_text=text,
                      message="\n".join(rej.lines), error_class=rej.cls, explanation=expl,
                      hint=hint, registers=regs, program=self.program.name, origin=origin,
                      source=self.program.lines.get(rej.insn) if rej.insn is not None else None)

    def _origin_text(self, reg: int, at: int) -> str:
        """'R0 was set at insn 5 (call bpf_map_lookup_elem#1), line 12: ...'."""
        from ..asm import format_insn

        try:
            text = format_insn(self.insns[at], syntax="kernel")
        except Exception:  # noqa: BLE001 - text is a convenience
            text = ""
        out = f"R{reg} was set at insn {self.slots[at]}" + (f": {text}" if text else "")
        line = self.program.lines.get(at)
        if line is not None:
            where = f"{line.filename}:{line.line}" if line.filename else f"line {line.line}"
            out += f", {where}: {line.text.strip()}"
        return out

    def _explore(self) -> None:
        stack: list[State] = [self.initial_state()]
        self._parent_of: dict[int, _Entry | None] = {id(stack[0]): None}
        while stack:
            st = stack.pop()
            parent = self._parent_of.pop(id(st), None)
            self._run_path(st, parent, stack)

    def _finish(self, entry: _Entry | None) -> None:
        while entry is not None:
            entry.branches -= 1
            if entry.branches > 0:
                return
            entry = entry.parent

    def _push(self, stack: list[State], st: State, parent: _Entry | None, insn: int) -> None:
        if len(stack) + 1 > MAX_JMP_SEQ:
            raise Reject(insn, f"The sequence of {len(stack) + 1} jumps is too complex.",
                         "too_complex")
        if parent is not None:
            parent.branches += 1
        self._parent_of[id(st)] = parent
        stack.append(st)

    def _run_path(self, st: State, parent: _Entry | None, stack: list[State]) -> None:
        insns = self.insns
        log = self.log
        if log is not None:
            if st.parent_insn < 0:
                log.append(f"{self.slots[st.insn]}: {state_text(st)}")
            else:
                state = state_text(st)
                log += ["", f"from {self.slots[st.parent_insn]} to {self.slots[st.insn]}: {state}",
                        f"{self.slots[st.insn]}: {state}"]
        first = True
        while True:
            i = st.insn
            self._last_state = st
            self.processed += 1  # counted before the prune check, as the kernel does
            if self.processed > MAX_PROCESSED:
                raise Reject(i, f"BPF program is too large. Processed {self.processed} insn",
                             "too_complex")
            if i in self.prune_points:
                verdict = self._checkpoint(st, i, parent)
                if verdict is _PRUNED:
                    self.note_depth(st)
                    if log is not None:
                        if first and st.parent_insn >= 0:
                            del log[-1]
                            log[-1] = f"from {self.slots[st.parent_insn]} to {self.slots[i]}: safe"
                        else:
                            log.append(f"{self.slots[i]}: safe")
                    self._finish(parent)
                    return
                parent = verdict
            first = False
            if log is not None:
                before = snapshot(st)
            insn = insns[i]
            cls = insn.opcode & 7
            if cls in (Class.ALU, Class.ALU64):
                forked = self._fork_minus_one_or_zero(st, insn)
                if forked is not None:  # the zero side re-runs this instruction later
                    forked.parent_insn = i
                    self._push(stack, forked, parent, i)
                self._alu(st, insn, i)
                st.frame.origins[insn.dst] = i
                st.insn = i + 1
            elif cls in (Class.JMP, Class.JMP32):
                self.jmps += 1
                other = self._jump(st, insn, i)
                if other is _EXITED:
                    if log is not None:
                        log.append(f"{self.slots[i]}: {kernel_text(insn)}")
                    self._finish(parent)
                    return
                if other is not None:
                    other.parent_insn = i
                    self._push(stack, other, parent, i)
                elif log is not None and insn.opcode & 0xF0 in _COND_OPS:
                    log_insn(log, self.slots[i], i, insn, st, before, decided=True)
                    continue
            elif cls == Class.LDX:
                self._ldx(st, insn, i)
                st.frame.origins[insn.dst] = i
                st.insn = i + 1
            elif cls in (Class.ST, Class.STX):
                self._store(st, insn, i)
                st.insn = i + 1
            else:
                self._ld(st, insn, i)
                st.frame.origins[insn.dst if insn.opcode == LDDW else 0] = i
                st.insn = i + 1
            if log is not None:
                log_insn(log, self.slots[i], i, insn, st, before)

    # -- pruning --------------------------------------------------------------------------
    def _checkpoint(self, st: State, i: int, parent: _Entry | None) -> _Entry | None | object:
        """`_PRUNED` when the path is pruned; else the path's (maybe new) last checkpoint."""
        entries = self.explored.setdefault(i, [])
        may_goto = self.insns[i].opcode == (Class.JMP | JmpOp.JCOND)
        live = self.live[i]
        precise = self.precise[i]
        for e in reversed(entries[-MAX_COMPARED:]):  # newest first: the likeliest match
            if e.branches == 0 or may_goto:
                if subsumes(e.state, st, live, precise):
                    return _PRUNED
            elif states_identical(e.state, st):
                raise Reject(i, f"infinite loop detected at insn {self.slots[i]}", "infinite_loop")
        # like the kernel, record a new checkpoint only after some work since the last one
        # (2 jumps and 8 instructions), or where a loop must be cut (may_goto)
        if not may_goto and (self.jmps - self.prev_jmps < 2 or self.processed - self.prev_insns < 8):
            return parent
        if len(entries) >= MAX_STATES_PER_INSN:  # like the kernel's eviction: stop recording
            return parent  # (the path goes on, still counted under its last checkpoint)
        self.prev_jmps, self.prev_insns = self.jmps, self.processed
        entry = _Entry(st.copy(), parent)
        entries.append(entry)
        return entry

    # -- registers --------------------------------------------------------------------------
    @staticmethod
    def _read(st: State, regno: int, insn: int) -> Reg:
        r = st.regs[regno]
        if not r.is_init:
            raise Reject(insn, f"R{regno} !read_ok", "uninit_register", reg=regno)
        return r

    @staticmethod
    def _write_check(regno: int, insn: int) -> None:
        if regno == 10:
            raise Reject(insn, "frame pointer is read only", "frame_pointer_write", reg=10)

    # -- ALU -----------------------------------------------------------------------------
    @staticmethod
    def _fork_minus_one_or_zero(st: State, insn: Insn) -> State | None:
        """The kernel's maybe_fork_scalars: before ``dst &= K`` / ``dst |= K`` a scalar known
        to be -1 or 0 is split; this path goes on with -1, the returned one with 0."""
        op = insn.opcode & 0xF0
        if op not in (AluOp.AND, AluOp.OR) or insn.opcode & 0x08:
            return None
        dst = st.regs[insn.dst]
        if not dst.is_scalar:
            return None
        sides = fork_minus_one_or_zero(dst.var)
        if sides is None:
            return None
        zero, minus = sides
        other = st.copy()
        other.regs[insn.dst] = dst.with_(var=zero)
        st.regs[insn.dst] = dst.with_(var=minus)
        return other

    def _alu(self, st: State, insn: Insn, i: int) -> None:
        op = insn.opcode & 0xF0
        alu64 = (insn.opcode & 7) == Class.ALU64
        x = bool(insn.opcode & 0x08)
        d = insn.dst
        regs = st.regs
        if op == AluOp.END or op == AluOp.NEG:
            dst = self._read(st, d, i)
            self._write_check(d, i)
            if dst.is_pointer:  # root may: the pointer becomes an unknown number
                regs[d] = Reg.scalar()
                return
            v = dst.var.neg(alu64=alu64) if op == AluOp.NEG else \
                dst.var.end(insn.imm, to_be=bool(x), alu64=alu64)
            regs[d] = Reg.scalar(v)
            return
        if op == AluOp.MOV:
            if x:
                src = self._read(st, insn.src, i)
            self._write_check(d, i)
            if x:
                if insn.off:  # movsx
                    if src.is_pointer:
                        regs[d] = Reg.scalar()
                    else:
                        regs[d] = Reg.scalar(src.var.movsx(insn.off, alu64=alu64))
                elif alu64:
                    if src.is_scalar and src.id == 0 and not src.var.is_const:
                        src = src.with_(id=st.new_id())
                        regs[insn.src] = src
                    regs[d] = src
                else:
                    regs[d] = Reg.scalar(src.var.mov32() if src.is_scalar else Scalar.unknown()
                                         .mov32())
            else:
                v = insn.imm if alu64 else insn.imm & 0xFFFFFFFF
                regs[d] = Reg.const(v)
            return
        dst = self._read(st, d, i)
        if x:
            src = self._read(st, insn.src, i)
        else:
            if op in (AluOp.DIV, AluOp.MOD) and insn.imm == 0:
                raise Reject(i, "div by zero", "div_by_zero")
            if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH) and not 0 <= insn.imm < (64 if alu64 else 32):
                raise Reject(i, f"invalid shift {insn.imm}", "invalid_shift", detail=insn.imm)
            src = Reg.const(insn.imm)
        self._write_check(d, i)
        if dst.is_pointer or src.is_pointer:
            regs[d] = self._ptr_alu(st, insn, i, op, alu64, dst, src)
            return
        v = dst.var.alu(op, src.var, alu64=alu64, off=insn.off)
        regs[d] = Reg.scalar(v)

    def _ptr_alu(self, st: State, insn: Insn, i: int, op: int, alu64: bool, dst: Reg,
                 src: Reg) -> Reg:
        d = insn.dst
        sym = _BITWISE.get(AluOp(op))
        if not alu64:  # root may subtract (a meaningless number); nothing else
            if op == AluOp.SUB:
                return Reg.scalar(Scalar.unknown().mov32())
            raise Reject(i, f"R{d} 32-bit pointer arithmetic prohibited", "pointer_32bit", reg=d)
        if dst.is_pointer and src.is_pointer:
            if op == AluOp.SUB:  # pointer - pointer is a number (root)
                return Reg.scalar()
            raise Reject(i, f"R{d} pointer {sym} pointer prohibited", "pointer_arith_prohibited",
                         reg=d)
        if op in (AluOp.AND, AluOp.OR, AluOp.XOR):
            raise Reject(i, f"R{d} bitwise operator {sym} on pointer prohibited",
                         "pointer_bitwise", reg=d)
        if op not in (AluOp.ADD, AluOp.SUB):
            raise Reject(i, f"R{d} pointer arithmetic with {sym} operator prohibited",
                         "pointer_arith_prohibited", reg=d)
        if src.is_pointer:  # scalar +/- pointer
            if op == AluOp.SUB:
                raise Reject(i, f"R{d} tried to subtract pointer from scalar",
                             "pointer_arith_prohibited", reg=d)
            dst, src = src, dst
        if dst.maybe_null:
            raise Reject(i, f"R{d} pointer arithmetic on {dst.type_label()} prohibited, "
                         "null-check it first", "pointer_arith_prohibited", reg=d,
                         type_label=dst.type_label())
        if dst.type in (RT.CONST_PTR_TO_MAP, RT.PTR_TO_PACKET_END, RT.PTR_TO_SOCKET,
                        RT.PTR_TO_SOCK_COMMON, RT.PTR_TO_FUNC, RT.PTR_TO_FLOW_KEYS):
            raise Reject(i, f"R{d} pointer arithmetic on {dst.type_label()} prohibited",
                         "pointer_arith_prohibited", reg=d, type_label=dst.type_label())
        if op == AluOp.SUB and dst.type is RT.PTR_TO_STACK:
            raise Reject(i, f"R{d} subtraction from stack pointer prohibited",
                         "pointer_arith_prohibited", reg=d)
        v = src.var
        if v.is_const:
            k = v.value - (1 << 64) if v.value >> 63 else v.value
            if not -BPF_MAX_VAR_OFF < k < BPF_MAX_VAR_OFF:
                raise Reject(i, f"math between {dst.type_label()} pointer and {k} is not allowed",
                             "pointer_arith_prohibited", reg=d)
            new_off = dst.off + (-k if op == AluOp.SUB else k)
            if not -BPF_MAX_VAR_OFF < new_off < BPF_MAX_VAR_OFF:
                raise Reject(i, f"value {k} makes {dst.type_label()} pointer be out of bounds",
                             "pointer_arith_prohibited", reg=d)
            return dst.with_(off=new_off)
        if v.smin == S64_MIN and op == AluOp.ADD:
            raise Reject(i, f"math between {dst.type_label()} pointer and register with unbounded "
                         "min value is not allowed", "unbounded_pointer_math", reg=insn.src)
        if (v.smin >= BPF_MAX_VAR_OFF or v.smin <= -BPF_MAX_VAR_OFF) and op == AluOp.ADD:
            raise Reject(i, f"value {v.smin} makes {dst.type_label()} pointer be out of bounds",
                         "unbounded_pointer_math", reg=insn.src)
        if op == AluOp.SUB and v.smax == (1 << 63) - 1:
            raise Reject(i, f"math between {dst.type_label()} pointer and register with unbounded "
                         "min value is not allowed", "unbounded_pointer_math", reg=insn.src)
        if dst.type is RT.PTR_TO_CTX:
            return dst.with_(var=dst.var.alu(op, v))
        new_var = dst.var.alu(op, v)
        if dst.type.is_packet:
            return dst.with_(var=new_var, id=st.new_id(), range=0)
        return dst.with_(var=new_var)

    # -- loads and stores -----------------------------------------------------------------
    def _ldx(self, st: State, insn: Insn, i: int) -> None:
        self._read(st, insn.src, i)
        self._write_check(insn.dst, i)
        size = SIZE_BYTES[Size(insn.opcode & 0x18)]
        sx = (insn.opcode & 0xE0) == Mode.MEMSX
        val = mem.access(st, self.prog_type, insn.src, insn.off, size, write=False, value=None,
                         insn=i, sign_ext=sx, attach=self.attach)
        assert val is not None
        st.regs[insn.dst] = val

    def _store(self, st: State, insn: Insn, i: int) -> None:
        cls = insn.opcode & 7
        size = SIZE_BYTES[Size(insn.opcode & 0x18)]
        mode = insn.opcode & 0xE0
        self._read(st, insn.dst, i)
        if cls == Class.ST:
            value = Reg.const(insn.imm) if size == 8 else Reg.const(insn.imm & ((1 << (8 * size)) - 1))
            mem.access(st, self.prog_type, insn.dst, insn.off, size, write=True, value=value,
                       insn=i, attach=self.attach)
            return
        value = self._read(st, insn.src, i)
        if mode == Mode.ATOMIC:
            self._atomic(st, insn, i, size, value)
            return
        mem.access(st, self.prog_type, insn.dst, insn.off, size, write=True, value=value, insn=i, attach=self.attach)

    def _atomic(self, st: State, insn: Insn, i: int, size: int, value: Reg) -> None:
        imm = insn.imm & 0xFFFFFFFF
        if imm == AtomicOp.LOAD_ACQ:  # dst = *(src + off)
            val = mem.access(st, self.prog_type, insn.src, insn.off, size, write=False, value=None,
                             insn=i, attach=self.attach)
            st.regs[insn.dst] = val  # type: ignore[assignment]
            return
        if imm == AtomicOp.STORE_REL:
            mem.access(st, self.prog_type, insn.dst, insn.off, size, write=True, value=value,
                       insn=i, attach=self.attach)
            return
        target = st.regs[insn.dst]
        self._atomic_alignment(target, insn, size, i)
        if target.type is RT.PTR_TO_CTX or target.type.is_packet:
            raise Reject(i, f"BPF_ATOMIC stores into R{insn.dst} {target.type_label()} is not "
                         "allowed", "bad_pointer_deref", reg=insn.dst)
        if imm == AtomicOp.CMPXCHG:  # cmpxchg reads r0
            self._read(st, 0, i)
        mem.access(st, self.prog_type, insn.dst, insn.off, size, write=False, value=None, insn=i, attach=self.attach)
        mem.access(st, self.prog_type, insn.dst, insn.off, size, write=True,
                   value=Reg.scalar(), insn=i)
        if imm & 1:  # fetch: the old value lands in src (r0 for cmpxchg)
            out = 0 if imm == AtomicOp.CMPXCHG else insn.src
            st.regs[out] = Reg.scalar(Scalar.unknown().truncate(size))

    @staticmethod
    def _atomic_alignment(target: Reg, insn: Insn, size: int, i: int) -> None:
        """Atomic read-modify-write needs natural alignment on every memory kind."""
        if not target.is_pointer or target.maybe_null or target.type is RT.PTR_TO_STACK:
            return  # (stack: the stack check says it with its own words)
        at = target.var.var_off.add(Tnum.const((target.off + insn.off) & _U64))
        if not at.is_aligned(size):
            desc = {RT.PTR_TO_MAP_VALUE: "value ", RT.PTR_TO_MAP_KEY: "key ",
                    RT.PTR_TO_CTX: "context "}.get(target.type, "")
            v = target.var
            where = str(v.value) if v.is_const else v.var_off.fmt()
            raise Reject(i, f"misaligned {desc}access off {where}+{target.off}+{insn.off} "
                         f"size {size}", "misaligned_access", reg=insn.dst)

    def _ld(self, st: State, insn: Insn, i: int) -> None:
        mode = insn.opcode & 0xE0
        if insn.opcode == LDDW:
            self._write_check(insn.dst, i)
            src = insn.src
            if src == PseudoSrc.IMM:
                st.regs[insn.dst] = Reg.const(insn.imm & _U64)
            elif src in (PseudoSrc.MAP_FD, PseudoSrc.MAP_VALUE, PseudoSrc.MAP_IDX,
                         PseudoSrc.MAP_IDX_VALUE):
                m = self.maprefs.get(i)
                if m is None:
                    raise Reject(i, "fd 0 is not pointing to valid bpf_map", "helper_arg_type")
                if src in (PseudoSrc.MAP_FD, PseudoSrc.MAP_IDX):
                    st.regs[insn.dst] = Reg.ptr(RT.CONST_PTR_TO_MAP, map=m)
                else:
                    off = self.program.refs[i].offset
                    st.regs[insn.dst] = Reg.ptr(RT.PTR_TO_MAP_VALUE, off=off, map=m)
            elif src == PseudoSrc.FUNC:
                if not self.func_info:
                    raise Reject(i, "missing btf func_info", "missing_func_info")
                target = self.index.get(self.slots[i] + 1 + insn.imm, -1)
                st.regs[insn.dst] = Reg.ptr(RT.PTR_TO_FUNC, subprog=target)
            else:
                st.regs[insn.dst] = Reg.ptr(RT.PTR_TO_BTF_ID)
            return
        # LD_ABS / LD_IND
        if self.prog_type not in _LD_ABS_TYPES:
            raise Reject(i, "BPF_LD_[ABS|IND] instructions not allowed for this program type",
                         "ld_abs_not_allowed")
        if st.regs[6].type is not RT.PTR_TO_CTX:
            raise Reject(i, "at the time of BPF_LD_ABS|IND R6 != pointer to skb",
                         "ld_abs_not_allowed", reg=6)
        if mode == Mode.IND:
            self._read(st, insn.src, i)
        for r in range(1, 6):
            st.regs[r] = Reg.not_init()
        st.regs[0] = Reg.scalar(Scalar.unknown().truncate(SIZE_BYTES[Size(insn.opcode & 0x18)]))

    # -- jumps -----------------------------------------------------------------------------
    def _jump(self, st: State, insn: Insn, i: int) -> State | None | object:
        op = insn.opcode & 0xF0
        jmp32 = (insn.opcode & 7) == Class.JMP32
        if op == JmpOp.JA:
            st.insn = self.index[self.slots[i] + 1 + (insn.imm if jmp32 else insn.off)]
            return None
        if op == JmpOp.EXIT:
            return self._exit(st, i)
        if op == JmpOp.CALL:
            if insn.opcode & 0x08:  # callx: the kernel has no such instruction
                raise Reject(None, "unknown opcode 8d", "invalid_insn")
            if insn.src == CallSrc.LOCAL:
                calls.enter_subprog(self, st, insn, i)
                return None
            if insn.src == CallSrc.KFUNC:
                raise Reject(i, "calling kernel functions is not allowed in this program",
                             "unsupported")
            if not calls.helper_call(self, st, insn, i):
                st.frame.origins[0] = i
                st.insn = i + 1
            return None
        target = self.index[self.slots[i] + 1 + insn.off]
        if op == JmpOp.JCOND:  # may_goto: both ways, the loop budget bounds the body
            other = st.copy()
            other.insn = target
            st.insn = i + 1
            return other
        return self._cond(st, insn, i, op, jmp32, target)

    def _cond(self, st: State, insn: Insn, i: int, op: int, jmp32: bool, target: int) -> State | None:
        x = bool(insn.opcode & 0x08)
        d = insn.dst
        dst = self._read(st, d, i)
        src = self._read(st, insn.src, i) if x else Reg.const(insn.imm)
        fall = i + 1
        if dst.is_scalar and src.is_scalar:
            b = branch(dst.var, src.var, op, jmp32, same_reg=x and insn.src == d)
            if b.taken == 1:
                st.insn = target
                return None
            if b.taken == 0:
                st.insn = fall
                return None
            other = st.copy()
            self._set_scalars(other, d, insn.src if x else None, b.true)
            self._set_scalars(st, d, insn.src if x else None, b.false)
            other.insn = target
            st.insn = fall
            return other
        # pointer comparisons
        ptr, other_reg, ptr_is_dst = (dst, src, True) if dst.is_pointer else (src, dst, False)
        if op in (JmpOp.JEQ, JmpOp.JNE) and other_reg.is_null_const and not jmp32:
            eq_taken = op == JmpOp.JEQ
            if ptr.maybe_null:  # the fall-through goes on here, the jump is pushed
                other = st.copy()
                jump_null = eq_taken  # JEQ 0: the jump sees NULL; JNE 0: the fall-through does
                self._mark_null(other, ptr.id, is_null=jump_null)
                self._mark_null(st, ptr.id, is_null=not jump_null)
                other.insn = target
                st.insn = fall
                return other
            # a pointer that cannot be NULL: the outcome is known
            st.insn = fall if eq_taken else target
            return None
        if dst.is_pointer and src.is_pointer and not jmp32:
            pkt = self._packet_compare(st, insn, op, dst, src, target, fall)
            if pkt is not None:
                return pkt
        other = st.copy()
        other.insn = target
        st.insn = fall
        return other

    def _set_scalars(self, st: State, d: int, s: int | None, pair: tuple[Scalar, Scalar]) -> None:
        a, b = pair
        self._assign_linked(st, d, a)
        if s is not None:
            self._assign_linked(st, s, b)

    @staticmethod
    def _assign_linked(st: State, regno: int, value: Scalar) -> None:
        reg = st.regs[regno]
        st.regs[regno] = reg.with_(var=value)
        if reg.id:
            for frame in st.frames:
                for r, other in enumerate(frame.regs):
                    if other.is_scalar and other.id == reg.id:
                        frame.regs[r] = other.with_(var=value)
                for k, sp in list(frame.spills.items()):
                    if sp.is_scalar and sp.id == reg.id:
                        frame.spills[k] = sp.with_(var=value)

    @staticmethod
    def _mark_null(st: State, pid: int, *, is_null: bool) -> None:
        """Resolve every register with id ``pid`` after a NULL check."""
        released = 0

        def fix(r: Reg) -> Reg:
            nonlocal released
            if r.id != pid or not r.maybe_null:
                return r
            if is_null:
                released = r.ref_obj_id or released
                return Reg.const(0)
            # like the kernel, forget the id once non-NULL (unless a reference needs it)
            return r.with_(maybe_null=False, id=r.id if r.ref_obj_id else 0)

        for frame in st.frames:
            frame.regs = [fix(r) for r in frame.regs]
            frame.spills = {k: fix(v) for k, v in frame.spills.items()}
        if released:
            st.refs = [ref for ref in st.refs if ref.id != released]

    def _packet_compare(self, st: State, insn: Insn, op: int, dst: Reg, src: Reg, target: int,
                        fall: int) -> State | None:
        """``pkt <op> pkt_end`` (either order): learn the readable range on the safe side."""
        if (dst.type, src.type) in _PKT_PAIRS:
            pkt, swapped = dst, False
        elif (src.type, dst.type) in _PKT_PAIRS:
            pkt, swapped = src, True
        else:
            return None
        if swapped:  # end <op> pkt  ==  pkt <rev op> end
            op = {JmpOp.JGT: JmpOp.JLT, JmpOp.JLT: JmpOp.JGT, JmpOp.JGE: JmpOp.JLE,
                  JmpOp.JLE: JmpOp.JGE}.get(JmpOp(op), op)
        # which side proves pkt (+off) <= end; a strict proof (pkt < end) grants one more
        # byte (measured on 6.18: tests/verifier/suite/pkt_xdp_check_*).
        if op == JmpOp.JGT:      # pkt > end: the fall-through has pkt <= end
            safe_taken, open_right = False, False
        elif op == JmpOp.JGE:    # pkt >= end: the fall-through has pkt < end
            safe_taken, open_right = False, True
        elif op == JmpOp.JLT:    # pkt < end: the jump has pkt < end
            safe_taken, open_right = True, True
        elif op == JmpOp.JLE:    # pkt <= end: the jump has pkt <= end
            safe_taken, open_right = True, False
        else:
            return None
        other = st.copy()
        other.insn = target
        st.insn = fall
        good = other if safe_taken else st
        if pkt.off >= 0 and pkt.var.umax + pkt.off <= 0xFFFF:
            new_range = pkt.off + (1 if open_right else 0)
            for frame in good.frames:
                frame.regs = [r.with_(range=max(r.range, new_range)) if r.type == pkt.type and
                              r.id == pkt.id else r for r in frame.regs]
                frame.spills = {k: (v.with_(range=max(v.range, new_range)) if v.type == pkt.type
                                    and v.id == pkt.id else v) for k, v in frame.spills.items()}
        return other

    # -- exit --------------------------------------------------------------------------------
    def _exit(self, st: State, i: int) -> object:
        self.note_depth(st)
        if len(st.frames) > 1:
            calls.leave_subprog(self, st, i)
            return None
        r0 = st.regs[0]
        if not r0.is_init:
            raise Reject(i, "R0 !read_ok", "uninit_r0", reg=0)
        if st.refs:
            ref = st.refs[0]
            raise Reject(i, [f"Unreleased reference id={ref.id} alloc_insn={self.slots[ref.insn]}",
                             "BPF_EXIT instruction in main prog would lead to reference leak"],
                         "reference_leak", detail=self.slots[ref.insn])
        rng = ATTACH_RETURN_RANGES.get(self.attach or "") or RETURN_RANGES.get(self.prog_type)
        if rng is not None:
            if r0.is_pointer:
                raise Reject(i, f"At program exit the register R0 is not a known value "
                             f"({r0.type_label()})", "return_pointer", reg=0)
            v = r0.var
            if not (rng[0] <= v.smin and v.smax <= rng[1]):
                desc = ""
                if v.smin > S64_MIN:
                    desc += f" smin={v.smin}"
                if v.smax < (1 << 63) - 1:
                    desc += f" smax={v.smax}"
                desc = desc or " unknown scalar value"
                raise Reject(i, f"At program exit the register R0 has{desc} should have been in "
                             f"[{rng[0]}, {rng[1]}]", "return_range", reg=0)
        return _EXITED


_EXITED = object()
_PRUNED = object()
_COND_OPS = {int(op) for op in JmpOp} - {int(JmpOp.JA), int(JmpOp.CALL), int(JmpOp.EXIT),
                                         int(JmpOp.JCOND)}
#: (checked pointer, bound): pkt against pkt_end, and pkt_meta against pkt (data)
_PKT_PAIRS = {(RT.PTR_TO_PACKET, RT.PTR_TO_PACKET_END), (RT.PTR_TO_PACKET_META, RT.PTR_TO_PACKET)}
def verify(program: ProgramSpec, prog_type: str | None = None, *, maps: Mapping[str, Any] | None = None,
           expected_attach_type: str | None = None, log: bool = False,
           func_info: bool = False, kernel: KernelProfile | None = None) -> Report:
    """Verify ``program`` as a ``prog_type`` program (default: ``program.prog_type``).

    ``maps`` gives map definitions by name (kernel `Map` objects or `MapDecl`s) for
    references the program does not declare itself. With ``log=True`` the report's
    ``log`` holds a state log in the layout of the kernel's log_level 2.
    ``func_info`` says the program will be loaded with BTF function info (objects
    compiled with ``-g``), which callbacks such as bpf_loop's require. ``kernel`` is the
    `KernelProfile` whose helper availability applies (default: the running kernel's when it
    was measured here, see `pybpf.verifier.kernel_profile.default`).
    """
    ptype = prog_type or program.prog_type
    if ptype is None:
        raise ValueError("verify: give prog_type (e.g. 'socket_filter', 'xdp')")
    if not program.insns:
        return Report(False, 0, message="empty program", error_class="missing_exit",
                      explanation="the program has no instructions", hint="add `r0 = 0; exit`")
    try:
        v = Verifier(program, ptype, maps=maps, expected_attach_type=expected_attach_type,
                     log=log, func_info=func_info, kernel=kernel)
    except Reject as rej:
        expl, hint = rej.fill()
        return Report(False, 0, insn=rej.insn, message="\n".join(rej.lines), error_class=rej.cls,
                      explanation=expl, hint=hint, program=program.name)
    return v.run()
