"""Run a program on the live kernel the way the VM runs it: the VM's differential oracle.

The VM's convention (r1 = pointer to ``mem``, r2 = its length, 64-bit r0) is
expressed on the kernel with an XDP program run by ``BPF_PROG_TEST_RUN``:

- the packet is ``mem`` padded with zeros to the 14 bytes XDP test runs need;
- a *prologue* loads ``data``/``data_end`` from the ``xdp_md`` context, checks
  ``data + len(mem) <= data_end`` (so the verifier grants exactly
  ``len(mem)`` bytes of packet access), sets r1 = data, r2 = len(mem) and
  zeroes r0 and r3-r9 as the VM does, then falls into the program;
- the 64-bit r0 needs two runs, since a test run's retval is 32 bits: one
  returns r0 as is (its low half), the other has every ``exit`` of the main
  function turned into a jump to an epilogue ``r0 >>= 32; exit``;
- the output memory is the first ``len(mem)`` bytes of the packet after the run.

What the kernel refuses is reported as `KernelVerdict.rejected` with the
verifier's last log line, so a table can say why a vector cannot run there.

>>> xdp_wrap(ProgramSpec([Insn(0xb7, imm=1), Insn(0x95)]), 4, high=False).insns[3].imm
4
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import KernelError, PybpfError
from ..isa import (
    JA,
    LDDW,
    AluOp,
    CallSrc,
    Class,
    Insn,
    JmpOp,
    Mode,
    ProgramSpec,
    PseudoSrc,
    RefKind,
    Size,
    Source,
    target_field,
)
from ..isa.opcodes import EXIT
from .prog import load

#: XDP test runs need at least an Ethernet header of data.
MIN_PACKET = 14
#: Offsets of ``data`` and ``data_end`` in ``struct xdp_md`` (uapi).
XDP_MD_DATA, XDP_MD_DATA_END = 0, 4


@dataclass
class KernelVerdict:
    """The kernel's answer: r0 and output memory, or why it refused the program."""

    r0: int | None = None
    mem: bytes | None = None
    rejected: str | None = None
    log: str = ""


def _mov_k(dst: int, imm: int) -> Insn:
    return Insn(Class.ALU64 | AluOp.MOV | Source.K, dst=dst, imm=imm)


def prologue(length: int) -> list[Insn]:
    """XDP entry: r1 = data, r2 = length (checked against data_end), r0, r3-r9 = 0."""
    ldxw = Class.LDX | Size.W | Mode.MEM
    body = [
        Insn(ldxw, dst=2, src=1, off=XDP_MD_DATA),
        Insn(ldxw, dst=3, src=1, off=XDP_MD_DATA_END),
        Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=4, src=2),
        Insn(Class.ALU64 | AluOp.ADD | Source.K, dst=4, imm=length),
        Insn(Class.JMP | JmpOp.JLE | Source.X, dst=4, src=3, off=2),
        _mov_k(0, 0),
        Insn(EXIT),
        Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=1, src=2),
        _mov_k(2, length),
    ]
    body += [_mov_k(r, 0) for r in (0, 3, 4, 5, 6, 7, 8, 9)]
    return body


def main_end(insns: list[Insn]) -> int:
    """Slot where the main function ends: the first subprogram (call/func target)."""
    slot, starts = 0, []
    for insn in insns:
        is_local_call = (insn.opcode == Class.JMP | JmpOp.CALL and insn.src == CallSrc.LOCAL)
        is_func = insn.opcode == LDDW and insn.src == PseudoSrc.FUNC
        if is_local_call or is_func:
            starts.append(slot + 1 + insn.imm)
        slot += insn.slots
    return min([s for s in starts if s > 0] + [slot])


def _insert(insns: list[Insn], at: int, extra: list[Insn]) -> list[Insn]:
    """Insert ``extra`` at slot ``at``, fixing every relative target that crosses it."""
    n = sum(i.slots for i in extra)
    out: list[Insn] = []
    slot = 0
    done = False
    for insn in insns:
        if slot == at and not done:
            out += extra
            done = True
        where = target_field(insn)
        if where is not None:
            rel = getattr(insn, where)
            old_target = slot + 1 + rel
            new_here = slot + (n if slot >= at else 0)
            new_target = old_target + (n if old_target >= at else 0)
            if insn.opcode == JA and old_target == at and slot < at:
                new_target = at  # a main-function jump to the epilogue itself
            insn = insn.replace(**{where: new_target - new_here - 1})
        out.append(insn)
        slot += insn.slots
    if not done:
        out += extra
    return out


def xdp_wrap(program: ProgramSpec, length: int, *, high: bool) -> ProgramSpec:
    """``program`` as an XDP program following the VM's convention (see module doc).

    With ``high``, the main function returns ``r0 >> 32`` instead of r0. Map, global
    and kfunc references move with their instructions.
    """
    insns = program.resolve()
    head = prologue(length)
    end = main_end(insns)
    slots, slot = [], 0
    for insn in insns:
        slots.append(slot)
        slot += insn.slots
    epilogue: list[Insn] = []
    if high:
        body = [Insn(JA, off=end - s - 1) if insn.opcode == EXIT and s < end else insn
                for insn, s in zip(insns, slots, strict=True)]
        epilogue = [Insn(Class.ALU64 | AluOp.RSH | Source.K, dst=0, imm=32), Insn(EXIT)]
        insns = _insert(body, end, epilogue)
    refs = {}
    for idx, ref in program.refs.items():
        if ref.kind is not RefKind.LABEL:
            shift = len(epilogue) if high and slots[idx] >= end else 0
            refs[len(head) + idx + shift] = ref
    return ProgramSpec(head + insns, refs=refs, maps=dict(program.maps),
                   name=program.name or "vm_oracle", prog_type="xdp", license="GPL")


def _reason(exc: PybpfError) -> str:
    log = getattr(exc, "log", "") or ""
    lines = [ln.strip() for ln in log.strip().splitlines() if ln.strip()]
    # the verifier's complaint is the last line before the "processed N insns" summary
    for ln in reversed(lines):
        if not ln.startswith(("processed ", "verification time")):
            return f"verifier: {ln}"
    return str(exc).splitlines()[0]


def run_kernel(program: ProgramSpec, mem: bytes = b"", *, repeat: int = 1) -> KernelVerdict:
    """Run ``program`` on the kernel with r1 = mem, r2 = len(mem); 64-bit r0 and memory."""
    data = bytes(mem) + bytes(max(0, MIN_PACKET - len(mem)))
    halves = []
    out_mem = None
    for high in (False, True):
        wrapped = xdp_wrap(program, len(mem), high=high)
        try:
            with load(wrapped, "xdp") as prog:
                tr = prog.test_run(data, repeat=repeat)
        except KernelError as exc:
            return KernelVerdict(rejected=_reason(exc), log=getattr(exc, "log", "") or "")
        except PybpfError as exc:
            return KernelVerdict(rejected=str(exc).splitlines()[0])
        halves.append(tr.retval & 0xFFFFFFFF)
        if out_mem is None:
            out_mem = bytes(tr.data_out[:len(mem)])
    return KernelVerdict(r0=halves[0] | (halves[1] << 32), mem=out_mem)
