"""The kernel's log_level 2 layout for pybpf's verifier (``verify(..., log=True)``).

One line per processed instruction, ``N: (op) text`` padded to column 38 and followed by
the registers and stack slots the instruction touched; a decided branch prints its
state on a line of its own; a popped branch starts with ``from X to Y: state``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..isa import Class, Insn, JmpOp
from .observer import Observer
from .state import RT, Reg, State

if TYPE_CHECKING:
    from .report import Report


class LogObserver(Observer):
    """Writes the kernel's log_level 2 text of a run into ``lines``.

    >>> from pybpf.asm import assemble
    >>> from pybpf.verifier import verify
    >>> print(verify(assemble("r0 = 0\\nexit"), "socket_filter", log=True).log, end="")
    0: R1=ctx() R10=fp0
    0: (b7) r0 = 0                        ; R0=0
    1: (95) exit
    processed 2 insns (limit 1000000)
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.slots: list[int] = []
        self._before: tuple[list[Reg], bytes, dict[int, Reg]] | None = None

    def setup(self, slots: list[int]) -> None:
        self.slots = slots

    def path_start(self, st: State) -> None:
        at = self.slots[st.insn]
        if st.parent_insn < 0:
            self.lines.append(f"{at}: {state_text(st)}")
            return
        state = state_text(st)
        self.lines += ["", f"from {self.slots[st.parent_insn]} to {at}: {state}", f"{at}: {state}"]

    def pruned(self, st: State, i: int, first: bool) -> None:
        log = self.lines
        if first and st.parent_insn >= 0:
            del log[-1]
            log[-1] = f"from {self.slots[st.parent_insn]} to {self.slots[i]}: safe"
        else:
            log.append(f"{self.slots[i]}: safe")

    def insn_start(self, st: State) -> None:
        self._before = snapshot(st)

    def insn_done(self, st: State | None, insn: Insn | None, i: int, slot: int | None, *,
                  decided: bool) -> None:
        assert st is not None and insn is not None and slot is not None
        assert self._before is not None
        log_insn(self.lines, slot, i, insn, st, self._before, decided=decided)

    def path_exit(self, insn: Insn, i: int, slot: int) -> None:
        self.lines.append(f"{slot}: {kernel_text(insn)}")

    def finished(self, report: Report, processed: int, limit: int) -> None:
        if not report.accepted and report.message:
            self.lines.extend(report.message.splitlines())
        self.lines.append(f"processed {processed} insns (limit {limit})")
        report.log = "\n".join(self.lines) + "\n"


def log_insn(log: list[str], at_slot: int, i: int, insn: Insn, st: State,
              before: tuple[list[Reg], bytes, dict[int, Reg]], decided: bool = False) -> None:
    """``N: (op) text ; <touched registers and stack slots>``, as log_level 2 prints."""
    head = f"{at_slot}: {kernel_text(insn)}"
    regs = st.regs
    touched = set()
    cls = insn.cls
    if cls in (Class.ALU, Class.ALU64, Class.LDX, Class.LD):
        touched.add(insn.dst)
        if cls != Class.LD and (insn.uses_src_reg or cls == Class.LDX):
            touched.add(insn.src)
    elif cls in (Class.ST, Class.STX):
        touched.add(insn.dst)
        if cls == Class.STX:
            touched.add(insn.src)
    elif insn.op == JmpOp.CALL:
        touched.add(0)
    elif insn.op not in (JmpOp.JA, JmpOp.EXIT, JmpOp.JCOND):
        touched.add(insn.dst)
        if insn.uses_src_reg:
            touched.add(insn.src)
    parts = [f"R{r}={regs[r].fmt()}" for r in sorted(touched) if 0 <= r <= 10 and regs[r].is_init]
    old_regs, old_slots, old_spills = before
    frame = st.frame
    scratched = set()
    if cls in (Class.LDX, Class.ST, Class.STX):  # the stack slot a load/store touched
        base = old_regs[insn.src if cls == Class.LDX else insn.dst]
        if base.type is RT.PTR_TO_STACK and base.var.is_const and base.frameno == frame.frameno:
            at = base.off + insn.off + 512
            if 0 <= at < 512:
                scratched.add(at // 8)
    for slot in range(64):
        lo = slot * 8
        if slot in scratched or frame.slots[lo:lo + 8] != old_slots[lo:lo + 8] or \
                frame.spills.get(slot) is not old_spills.get(slot):
            parts.append(f"fp{lo - 512}={_slot_text(frame, slot)}")
    if decided:  # a branch with a known outcome: the state on a line of its own
        log.append(head)
        if parts:
            log.append(f"{at_slot}: {' '.join(parts)}")
        return
    log.append(f"{head:<37} ; {' '.join(parts)}" if parts else head)


def kernel_text(insn: Insn) -> str:
    from ..asm import format_insn

    try:
        return format_insn(insn, syntax="kernel")
    except Exception:  # noqa: BLE001 - a log line must not fail verification
        return f"({insn.opcode:02x}) ?"


def snapshot(st: State) -> tuple[list[Reg], bytes, dict[int, Reg]]:
    f = st.frame
    return list(f.regs), bytes(f.slots), dict(f.spills)


def _slot_text(frame: Any, slot: int) -> str:
    spill = frame.spills.get(slot)
    if spill is not None and frame.slots[slot * 8] == 1:
        return spill.fmt()
    chars = {0: "?", 2: "m", 3: "0", 1: "m"}
    return "".join(chars[frame.slots[slot * 8 + b]] for b in range(7, -1, -1))


def state_text(st: State) -> str:
    parts = [f"R{r}={reg.fmt()}" for r, reg in enumerate(st.regs) if reg.is_init]
    frame = st.frame
    for slot in range(63, -1, -1):
        if any(frame.slots[slot * 8:slot * 8 + 8]):
            parts.append(f"fp{slot * 8 - 512}={_slot_text(frame, slot)}")
    return " ".join(parts)


__all__ = ["LogObserver", "kernel_text", "log_insn", "snapshot", "state_text"]
