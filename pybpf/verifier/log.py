"""The kernel's log_level 2 layout for pybpf's verifier (``verify(..., log=True)``).

One line per processed instruction, ``N: (op) text`` padded to column 38 and followed by
the registers and stack slots the instruction touched; a decided branch prints its
state on a line of its own; a popped branch starts with ``from X to Y: state``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..isa import Class, Insn, JmpOp
from .observer import Observer
from .state import RT, SLOT_CHARS, Dynptr, Reg, Slot, State

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

    detailed = True

    def note(self, text: str) -> None:
        self.lines.append(text)

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.slots: list[int] = []
        self._before: tuple[list[Reg], bytes, dict[int, Reg]] | None = None

    def setup(self, slots: list[int]) -> None:
        self.slots = slots

    def resumed(self, st: State, prev: int) -> None:
        at = self.slots[st.insn]
        if prev < 0:
            self.lines.append(f"{at}: {state_text(st)}")
            return
        state = state_text(st)
        self.lines += ["", f"from {self.slots[prev]} to {at}: {state}", f"{at}: {state}"]

    def pruned(self, st: State, i: int, from_prev: int | None) -> None:
        if from_prev is not None and from_prev >= 0:
            self.lines += ["", f"from {self.slots[from_prev]} to {self.slots[i]}: safe"]
        else:
            self.lines.append(f"{self.slots[i]}: safe")

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
            off = base.off + insn.off + base.var.signed_value()
            if -512 <= off < 0:
                scratched.add((-off - 1) // 8)
    for spi in range(frame.allocated // 8):
        lo = spi * 8
        if spi in scratched or frame.stack[lo:lo + 8] != old_slots[lo:lo + 8] or \
                frame.spills.get(spi) is not old_spills.get(spi):
            text = slot_text(frame, spi)
            if text is not None:
                parts.append(f"fp{-(spi + 1) * 8}={text}")
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
    return list(f.regs), bytes(f.stack), dict(f.spills)


def slot_text(frame: Any, spi: int) -> str | None:
    """The kernel's text of one 8-byte stack slot (print_verifier_state), or None if unused."""
    base = spi * 8
    kinds = frame.stack[base:base + 8]
    if not any(kinds):
        return None
    chars = "".join(SLOT_CHARS[k] for k in kinds)
    last = kinds[7]
    if last == Slot.SPILL:
        j = next(k for k in range(8) if kinds[k] == Slot.SPILL)
        return chars[:j] + frame.spilled(spi).fmt(frame.frameno)
    if last == Slot.DYNPTR:
        r = frame.spilled(spi)
        return f"dynptr_{Dynptr(r.dyn_type).name.lower()}(...)"
    if last == Slot.ITER:
        return "iter(...)"
    return chars


def state_text(st: State) -> str:
    frame = st.frame
    parts = [f"R{r}={reg.fmt(frame.frameno)}" for r, reg in enumerate(frame.regs) if reg.is_init]
    for spi in range(frame.allocated // 8):
        text = slot_text(frame, spi)
        if text is not None:
            parts.append(f"fp{-(spi + 1) * 8}={text}")
    if frame.callback:
        parts.append("cb")
    if frame.async_callback:
        parts.append("async_cb")
    prefix = f"frame{frame.frameno}: " if frame.frameno else ""
    return prefix + " ".join(parts)


__all__ = ["LogObserver", "kernel_text", "log_insn", "snapshot", "state_text"]
