"""Provenance: the few instructions that made a register's (or stack slot's) value what it is.

Given the failing path (`pybpf.explain.trace.TraceObserver`), `chain` walks back from the
failing instruction along the writes to the register at fault: copies (``r2 = r1``), 32-bit
operations, arithmetic, spills and fills of stack slots, loads, helper calls. Each `Step`
says what the instruction did to the value, with the abstract value it produced and a role:

``source``   where the value was born (a helper's return, a load, a constant, the context);
``copy``     a register copy (the value is followed into the copied register);
``op``       arithmetic on the value;
``spill``/``fill``  through a stack slot;
``lost``     a bound was lost here (a 32-bit operation, a narrower spill, arithmetic);
``check``    a branch that bounded a *copy* of the value, not the register used later;
``bound``    where a value got the (too loose) upper bound it has at the failing instruction,
             or where a packet pointer got the range it has: the check or mask to fix
             (`bound_origin`);
``clobber``  a call that left the register unreadable.

>>> from pybpf.asm import assemble
>>> from pybpf.verifier.engine import Verifier
>>> from pybpf.explain.trace import TraceObserver
>>> p = assemble('''
... .map m hash key=4 value=8 max_entries=1
... *(u32 *)(r10 - 4) = 0
... r2 = r10
... r2 += -4
... r1 = m ll
... call bpf_map_lookup_elem
... r1 = r0
... r0 = *(u64 *)(r1 + 0)
... exit''')
>>> t = TraceObserver()
>>> v = Verifier(p, "socket_filter", observer=t)
>>> _ = v.run()
>>> [(s.insn, s.role) for s in chain(v, t, ("reg", 1))]
[(4, 'source'), (5, 'copy')]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..isa import AluOp, CallSrc, Class, Insn, JmpOp, Mode, helper_name
from ..verifier.state import RT
from .source import line_of

if TYPE_CHECKING:
    from ..isa.program import SourceLine
    from ..verifier.state import Reg
    from .trace import Node, TraceObserver

#: at most this many steps are shown
MAX_STEPS = 6
_U64_MAX = (1 << 64) - 1
_U32_MAX = (1 << 32) - 1


@dataclass
class Step:
    """One instruction of a provenance chain."""

    insn: int  # instruction index
    slot: int  # the kernel's instruction number (what the log prints)
    text: str
    role: str
    note: str
    value: str | None = None
    line: SourceLine | None = None
    #: the register this step is about (for a pointer moved by a scalar: the scalar)
    reg: int | None = None

    def to_json(self) -> dict[str, Any]:
        src = self.line
        return {"insn": self.slot, "insn_text": self.text, "role": self.role, "note": self.note,
                "value": self.value, "file": src.filename if src else None,
                "line": src.line if src else None, "column": src.column if src else None,
                "source": src.text.strip() if src else None, "register": self.reg}


def insn_text(insn: Insn) -> str:
    """The instruction as the kernel log prints it, without the opcode in parentheses."""
    from ..asm import format_insn

    try:
        text = format_insn(insn, syntax="kernel")
    except Exception:  # noqa: BLE001 - text is a convenience
        return f"opcode {insn.opcode:#04x}"
    return text.split(") ", 1)[1] if text.startswith("(") else text


def _unbounded(reg: Reg | None) -> bool:
    if reg is None or not reg.is_scalar:
        return False
    v = reg.var
    return v.umax == _U64_MAX or v.smin < -(1 << 62)


def _bounded(reg: Reg | None) -> bool:
    return reg is not None and reg.is_scalar and not _unbounded(reg)


def _call_name(insn: Insn) -> str:
    if insn.src == CallSrc.HELPER:
        return helper_name(insn.imm) or f"helper #{insn.imm}"
    return "a subprogram" if insn.src == CallSrc.LOCAL else "a kfunc"


def written(insn: Insn) -> tuple[int, ...]:
    """Registers instruction ``insn`` writes."""
    cls = insn.cls
    if cls in (Class.ALU, Class.ALU64, Class.LDX):
        return (insn.dst,)
    if cls == Class.LD:
        return (insn.dst,) if insn.mode == Mode.IMM else (0,)
    if cls == Class.STX and insn.mode == Mode.ATOMIC and insn.imm & 1:  # fetch
        return (0,) if insn.imm == 0xF1 else (insn.src,)
    if cls in (Class.JMP, Class.JMP32) and insn.op == JmpOp.CALL:
        return (0, 1, 2, 3, 4, 5)
    return ()


class _Walk:
    def __init__(self, v: Any, t: TraceObserver) -> None:
        self.v = v
        self.insns: list[Insn] = v.insns
        self.slots: list[int] = v.slots
        self.program = v.program
        self.path: list[Node] = t.failing_path()
        self.after_last = t.before
        self.depth_at_fail = t.failing_depth
        self.fail = t.failing_insn

    def regs_after(self, k: int) -> tuple[Reg, ...] | None:
        """The registers after node ``k`` (the next node's 'before' at the same depth)."""
        depth = self.path[k].depth
        for j in range(k + 1, len(self.path)):
            if self.path[j].depth == depth:
                return self.path[j].regs
            if self.path[j].depth < depth:
                return None
        return self.after_last if self.depth_at_fail == depth else None

    def step(self, k: int, role: str, note: str, reg: int | None = None) -> Step:
        node = self.path[k]
        after = self.regs_after(k)
        value = after[reg].fmt() if (after is not None and reg is not None) else None
        return Step(node.insn, self.slots[node.insn], insn_text(self.insns[node.insn]), role, note,
                    value, line_of(self.program, node.insn), reg)

    # -- registers -------------------------------------------------------------------
    def reg_chain(self, reg: int, k: int, depth: int, out: list[Step]) -> None:
        """Follow register ``reg`` backwards from before node ``k``."""
        while k > 0 and len(out) < MAX_STEPS:
            k -= 1
            node = self.path[k]
            if node.depth != depth:
                continue
            insn = self.insns[node.insn]
            if reg not in written(insn):
                continue
            after = self.regs_after(k)
            new = after[reg] if after is not None else None
            old = node.regs[reg]
            cls, op = insn.cls, insn.op
            if cls in (Class.JMP, Class.JMP32):  # a call
                name = _call_name(insn)
                if reg == 0:
                    what = "may be NULL" if (new is not None and new.maybe_null) else ""
                    out.append(self.step(k, "source", f"R0 is the value returned by {name}"
                                         + (f" ({what})" if what else ""), reg))
                else:
                    out.append(self.step(k, "clobber", f"the call to {name} left R{reg} "
                                         "unreadable (R1-R5 do not survive a call)", reg))
                return
            if cls == Class.LD:
                out.append(self.step(k, "source", f"R{reg} is loaded with a 64-bit immediate", reg))
                return
            if cls == Class.LDX:
                base = node.regs[insn.src]
                if base.type is RT.PTR_TO_STACK and base.var.is_const:
                    off = base.off + base.var.value + insn.off
                    lost = insn.size < 8 and _unbounded(new)
                    out.append(self.step(k, "lost" if lost else "fill",
                                         f"R{reg} is read back from the stack at fp{off}"
                                         + (" as raw bytes: the bounds it had are gone" if lost
                                            else ""), reg))
                    self.stack_chain(base.frameno, off, insn.size, k, out)
                    return
                label = base.type_label()
                out.append(self.step(k, "source", f"R{reg} is loaded from {label} memory "
                                     f"(off {base.off + insn.off}): any value it holds", reg))
                return
            # ALU
            alu64 = cls == Class.ALU64
            if op == AluOp.MOV and insn.off == 0:
                if not insn.uses_src_reg:
                    out.append(self.step(k, "source", f"R{reg} is set to the constant {insn.imm}",
                                         reg))
                    return
                if alu64:
                    out.append(self.step(k, "copy", f"R{reg} is a copy of R{insn.src}", reg))
                else:
                    lost = _bounded(node.regs[insn.src]) is False and _unbounded(new) is False and False
                    out.append(self.step(k, "lost" if lost else "copy",
                                         f"R{reg} is a 32-bit copy of w{insn.src} (the upper half "
                                         "is zeroed; the copy is not linked to the original)", reg))
                reg = insn.src
                continue
            if insn.uses_src_reg and old.is_pointer and node.regs[insn.src].is_scalar:
                out.append(self.step(k, "op", f"R{reg} moves by R{insn.src}", reg))
                out[-1].reg = reg = insn.src
                continue
            lost = _bounded(old) and _unbounded(new)
            if not alu64 and old.is_scalar and new is not None and new.is_scalar \
                    and old.var.umax > _U32_MAX and not lost:
                note = f"a 32-bit operation on R{reg}: only the low 32 bits are kept"
            elif lost:
                note = f"R{reg} loses its bounds here"
            else:
                note = f"arithmetic on R{reg}"
            out.append(self.step(k, "lost" if lost else "op", note, reg))
            if insn.uses_src_reg and node.regs[insn.src].is_scalar and \
                    _unbounded(node.regs[insn.src]) and not _unbounded(old):
                reg = insn.src  # the unbounded operand is what matters
            continue

    # -- stack slots ------------------------------------------------------------------
    def stack_chain(self, frameno: int, off: int, size: int, k: int, out: list[Step]) -> None:
        """Follow the stack bytes [off, off + size) of frame ``frameno`` back from node ``k``."""
        while k > 0 and len(out) < MAX_STEPS:
            k -= 1
            node = self.path[k]
            insn = self.insns[node.insn]
            cls = insn.cls
            if cls in (Class.ST, Class.STX):
                base = node.regs[insn.dst]
                if base.type is not RT.PTR_TO_STACK or base.frameno != frameno \
                        or not base.var.is_const:
                    continue
                at = base.off + base.var.value + insn.off
                if at + insn.size <= off or at >= off + size:
                    continue
                if cls == Class.ST:
                    out.append(self.step(k, "source", f"the constant {insn.imm} is stored at fp{at}"))
                    return
                src = node.regs[insn.src]
                if insn.size < 8 and size == 8 or insn.size < size:
                    out.append(self.step(k, "lost", f"R{insn.src} is stored at fp{at} in "
                                         f"{insn.size} bytes only: the verifier keeps the bytes, "
                                         "not the register's bounds"))
                else:
                    out.append(self.step(k, "spill", f"R{insn.src} is spilled to fp{at}"))
                if src.is_init:
                    self.reg_chain(insn.src, k + 1, node.depth, out)
                return
            if cls in (Class.JMP, Class.JMP32) and insn.op == JmpOp.CALL and insn.src == CallSrc.HELPER:
                for r in range(1, 6):
                    arg = node.regs[r]
                    if arg.type is RT.PTR_TO_STACK and arg.frameno == frameno and arg.var.is_const \
                            and arg.off <= off < arg.off + 512:
                        if arg.off <= off:
                            out.append(self.step(k, "source", f"{_call_name(insn)} writes the "
                                                 f"stack buffer at fp{arg.off} (R{r})"))
                            return

    # -- checks on copies -------------------------------------------------------------
    def copy_checks(self, reg: int, steps: list[Step], out: list[Step]) -> None:
        """A branch after the value was made that bounded another register holding the same
        value (a copy: its own chain reaches the same source) while ``reg`` itself did not
        get the bound: clang checked one copy and used the other. Only a check that leaves
        the copy non-negative counts (a check that would not have made the access safe is
        the program's own bug, not the compiler's)."""
        if not steps:
            return
        born = {s.insn for s in steps if s.role in ("source", "fill", "lost")}
        if not born:
            return
        first = min(born)
        start = next((k for k, n in enumerate(self.path) if n.insn == first), None)
        if start is None:
            return
        for k in range(len(self.path) - 1, start, -1):
            node = self.path[k]
            insn = self.insns[node.insn]
            if insn.cls not in (Class.JMP, Class.JMP32) or insn.op in (JmpOp.CALL, JmpOp.EXIT,
                                                                       JmpOp.JA):
                continue
            after = self.regs_after(k)
            if after is None:
                continue
            cands = [insn.dst] + ([insn.src] if insn.uses_src_reg else [])
            for checked in cands:
                if checked == reg or not _established(node.regs[checked], after[checked],
                                                      self.after_last[reg] if self.after_last
                                                      else None):
                    continue
                sub: list[Step] = []
                self.reg_chain(checked, k, node.depth, sub)
                if not any(s.insn in born for s in sub):
                    continue
                out.append(self.step(k, "check", f"this check bounds R{checked}, a copy of the "
                                     f"value, but R{reg} (used later) is a different register "
                                     "the verifier did not link to it: the bound does not reach "
                                     f"R{reg}", checked))
                return


def _established(old: Reg, new: Reg, used: Reg | None) -> bool:
    """The branch made the copy safe where the used register is not: it proved the copy
    non-negative (it could be negative before), or gave a copy that had no upper bound one
    (when the used register has none)."""
    if not (old.is_scalar and new.is_scalar):
        return False
    a, b = old.var, new.var
    if a.smin < 0 <= b.smin:
        return True
    return _unbounded(used) and b.smin >= 0 and b.umax < 1 << 32 <= a.umax


def chain(v: Any, t: TraceObserver, target: tuple[str, ...] | tuple[Any, ...], *,
          bound: bool = False) -> list[Step]:
    """The provenance of ``target`` at the failing instruction, oldest step first.

    ``target`` is ``("reg", regno)`` or ``("stack", frameno, off, size)``; ``v`` is the
    `pybpf.verifier.engine.Verifier` of the run ``t`` observed. With ``bound``, the step
    that gave a register its bound (`bound_origin`) is among them.
    """
    w = _Walk(v, t)
    if w.fail is None:
        return []
    out: list[Step] = []
    k = len(w.path)
    if target[0] == "reg":
        reg = int(target[1])
        w.reg_chain(reg, k, w.depth_at_fail, out)
        checks: list[Step] = []
        if w.after_last is not None and w.after_last[reg].is_scalar:
            w.copy_checks(reg, out, checks)
        out.extend(checks)
        b = bound_origin(v, t, reg) if bound else None
        if b is not None:
            out = [s for s in out if s.insn != b.insn] + [b]
    else:
        _, frameno, off, size = target
        w.stack_chain(int(frameno), int(off), int(size), k, out)
    out.sort(key=lambda s: _order(w, s))
    return out


def bound_origin(v: Any, t: TraceObserver, reg: int) -> Step | None:
    """The instruction that gave register ``reg`` the bound it has at the failing
    instruction: for a packet pointer, the check that proved its range; for a scalar (or
    a pointer's variable offset, followed into the scalar added to it), the last mask or
    branch that lowered its upper bound. None when the bound is only the width of a load
    (or there is none)."""
    w = _Walk(v, t)
    if w.fail is None or w.after_last is None:
        return None
    depth = w.depth_at_fail
    cur = w.after_last[reg]
    packet = cur.type.is_packet
    for k in range(len(w.path) - 1, -1, -1):
        node = w.path[k]
        if node.depth != depth:
            continue
        insn = w.insns[node.insn]
        after = w.regs_after(k)
        if after is None:
            continue
        old, new = node.regs[reg], after[reg]
        if packet:
            if insn.cls in (Class.JMP, Class.JMP32) and new.type.is_packet and \
                    new.range > (old.range if old.type.is_packet else 0):
                return w.step(k, "bound", f"this check proves {new.range} bytes of the packet "
                              f"from R{reg}: the access needs more", reg)
            if reg in written(insn):
                return None
            continue
        if reg in written(insn):
            if insn.cls in (Class.ALU, Class.ALU64):
                if insn.op == AluOp.MOV and insn.uses_src_reg and insn.off == 0:
                    reg = insn.src
                    continue
                if old.is_pointer and insn.uses_src_reg and node.regs[insn.src].is_scalar:
                    reg = insn.src  # a pointer moved by a scalar: follow the scalar
                    continue
                if old.is_scalar and new.is_scalar and new.var.umax < old.var.umax and \
                        new.var.umax < _U32_MAX:
                    return w.step(k, "bound", f"R{reg} gets its upper bound {new.var.umax} here",
                                  reg)
                continue
            return None
        if insn.cls in (Class.JMP, Class.JMP32) and insn.op not in (JmpOp.CALL, JmpOp.EXIT,
                                                                    JmpOp.JA):
            if old.is_scalar and new.is_scalar and new.var.umax < old.var.umax:
                return w.step(k, "bound", f"this check leaves R{reg} at most {new.var.umax}",
                              reg)
    return None


def _order(w: _Walk, s: Step) -> int:
    for k in range(len(w.path) - 1, -1, -1):
        if w.path[k].insn == s.insn:
            return k
    return len(w.path)


__all__ = ["MAX_STEPS", "Step", "bound_origin", "chain", "written"]
