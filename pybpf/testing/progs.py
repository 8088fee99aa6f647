"""Hypothesis strategies for verifier work: programs the verifier accepts, and near misses.

`accepted_programs` draws verifier-safe XDP programs (`pybpf.testing.progen`: ALU chains,
branches, loops, bpf-to-bpf calls, stack, packet and map-value accesses, atomics), each
wrapped with the bounds check that grants it its packet bytes (`pybpf.kernel.oracle`).
`near_misses` takes such a program and makes *one* change a verifier must refuse, the
kinds of mistake people make: a register read before it is written, a stack access out
of the frame or misaligned, a packet access one byte past the checked length, a map value used without its NULL check, a scalar
dereferenced, the frame pointer written, an instruction after the last exit, a jump out
of the program, an unknown helper. Each comes as a `NearMiss` naming its ``kind`` and
keeping the accepted program it came from. Every change goes where the program really
runs (an instruction the VM executes on a zeroed packet), never in code the verifier
can prove dead, which it does not check. (A read of a stack slot never written is no
near miss here: a privileged loader may do it.)

>>> from hypothesis import find
>>> nm = find(near_misses(kinds=["packet_past_end"]), lambda nm: True)
>>> nm.kind, len(nm.program.insns) == len(nm.accepted.insns) + 1
('packet_past_end', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from ..isa import (
    LDDW,
    AluOp,
    Class,
    Insn,
    JmpOp,
    MapSpec,
    Mode,
    ProgramSpec,
    PseudoSrc,
    Ref,
    Size,
    Source,
    target_field,
)
from ..isa.opcodes import CLASS_MASK, EXIT, MODE_MASK, SIZE_MASK
from .progen import ARR, ARR_VALUE, KEY_OFF, PKT, generate, helper_number

#: Every kind of near miss `near_misses` makes.
KINDS = ("uninit_register", "stack_out_of_frame", "stack_misaligned", "packet_past_end", "map_value_null", "scalar_deref", "frame_pointer_write",
         "unreachable", "jump_out_of_range", "unknown_helper")
MEM_SIZES = (1, 4, 8, 16, 32, 64)


@dataclass(frozen=True)
class NearMiss:
    """A program one change away from ``accepted`` that the verifier refuses; ``kind``
    says which change (one of `KINDS`), ``at`` the instruction it made or changed."""

    program: ProgramSpec
    kind: str
    accepted: ProgramSpec
    at: int

    def __repr__(self) -> str:
        return f"NearMiss({self.kind} at insn {self.at}, {len(self.program.insns)} insns)"


@st.composite
def _raw(draw: st.DrawFn, mem_size: int | None, max_blocks: int, subprogs: bool,
         loops: bool, helpers: bool) -> tuple[ProgramSpec, int]:
    size = mem_size if mem_size is not None else draw(st.sampled_from(MEM_SIZES))
    prog = generate(lambda lo, hi: draw(st.integers(lo, hi)), mem_size=size,
                    max_blocks=max_blocks, subprogs=subprogs, loops=loops, helpers=helpers)
    return prog, size


def _wrap(prog: ProgramSpec, size: int, name: str) -> ProgramSpec:
    from ..kernel.oracle import xdp_wrap

    out = xdp_wrap(prog, size, high=False)
    out.name = name
    return out


def accepted_programs(*, mem_size: int | None = None, max_blocks: int = 8, subprogs: bool = True,
                      loops: bool = True, helpers: bool = True) -> st.SearchStrategy[ProgramSpec]:
    """XDP programs the kernel verifier accepts (see the module docstring). They need a
    packet of at least ``mem_size`` bytes to do their work (shorter: they return 0)."""
    return _raw(mem_size, max_blocks, subprogs, loops, helpers).map(
        lambda ps: _wrap(ps[0], ps[1], "accepted"))


def insert(prog: ProgramSpec, index: int, extra: Sequence[Insn],
           refs: dict[int, Ref] | None = None) -> ProgramSpec:
    """A copy of ``prog`` with ``extra`` before instruction ``index``; jumps and calls move
    with their targets (a jump to ``index`` now lands on ``extra``), references with their
    instructions; ``refs`` are references of ``extra`` by position in it.

    >>> from pybpf.asm import assemble
    >>> p = assemble("if r1 == 0 goto +1\\nr0 = 1\\nexit")
    >>> q = insert(p, 1, [Insn(Class.ALU64 | AluOp.MOV, dst=2, imm=7)])
    >>> q.insns[0].off, len(q.insns)
    (2, 4)
    """
    insns = prog.resolve()
    at = sum(i.slots for i in insns[:index])
    n = sum(i.slots for i in extra)
    out: list[Insn] = []
    slot = 0
    for i, insn in enumerate(insns):
        if i == index:
            out += extra
        where = target_field(insn)
        if where is not None:
            target = slot + 1 + getattr(insn, where)
            new_here = slot + n if slot >= at else slot
            new_target = target + n if target > at or (target == at and slot >= at) else target
            insn = insn.replace(**{where: new_target - new_here - 1})
        out.append(insn)
        slot += insn.slots
    if index >= len(insns):
        out += extra
    shifted = {(k + len(extra) if k >= index else k): r for k, r in prog.refs.items()}
    for k, r in (refs or {}).items():
        shifted[index + k] = r
    return ProgramSpec(out, refs=shifted, maps=dict(prog.maps), name=prog.name,
                       prog_type=prog.prog_type, license=prog.license)


def _replace(prog: ProgramSpec, index: int, insn: Insn) -> ProgramSpec:
    insns = prog.resolve()
    insns[index] = insn
    return ProgramSpec(insns, refs=dict(prog.refs), maps=dict(prog.maps), name=prog.name,
                       prog_type=prog.prog_type, license=prog.license)


def _stack_accesses(prog: ProgramSpec) -> list[int]:
    out = []
    for i, insn in enumerate(prog.insns):
        cls = insn.opcode & CLASS_MASK
        mode = insn.opcode & MODE_MASK
        if mode != Mode.MEM:
            continue
        if cls == Class.LDX and insn.src == 10 or cls in (Class.ST, Class.STX) and insn.dst == 10:
            out.append(i)
    return out


def _mov(dst: int, imm: int) -> Insn:
    return Insn(Class.ALU64 | AluOp.MOV | Source.K, dst=dst, imm=imm)


def _executed(prog: ProgramSpec, size: int) -> list[int]:
    """Indices of main-function instructions (not its last exit) the VM runs on a zeroed
    packet: code the verifier certainly walks."""
    from ..coverage import Coverage
    from ..vm import VM

    cov = Coverage()
    VM(coverage=cov, seed=0).run(prog, mem=bytes(size))
    hits = cov.sets(prog)[0]
    slots = prog.slot_offsets()
    main = len(_main(prog))
    return [i for i in range(1, main) if slots[i] in hits] or [1]


def _mutate(draw: st.DrawFn, prog: ProgramSpec, size: int, kind: str) -> tuple[ProgramSpec, int]:
    """The raw (unwrapped) program with one ``kind`` mistake, and where it is."""
    first = 1  # after "r6 = r1": the packet pointer is in r6
    ran = _executed(prog, size)
    if kind == "uninit_register":  # r1-r5 are dead after a helper call
        at = draw(st.sampled_from(ran))
        reg = draw(st.integers(1, 5))
        return insert(prog, at, [Insn(Class.JMP | JmpOp.CALL, imm=helper_number("get_prandom_u32")),
                                 Insn(Class.ALU64 | AluOp.ADD | Source.X, dst=0, src=reg)]), at + 1
    if kind in ("stack_out_of_frame", "stack_misaligned"):
        i = draw(st.sampled_from([i for i in _stack_accesses(prog) if i in ran]))
        insn = prog.insns[i]
        size_b = insn.size
        if kind == "stack_out_of_frame":
            off = draw(st.sampled_from([-520, -513, 8, 0]))  # 0: the first byte above it
        else:
            if size_b == 1:  # a byte is always aligned: make it a word
                insn = insn.replace(opcode=(insn.opcode & ~SIZE_MASK) | Size.W)
                size_b = 4
            # a nearby offset that is not a multiple of the size, still inside the frame
            offs = [o for o in range(insn.off - size_b, insn.off + size_b + 1)
                    if o % size_b and -512 <= o and o + size_b <= 0]
            off = draw(st.sampled_from(offs))
        return _replace(prog, i, insn.replace(off=off)), i
    if kind == "packet_past_end":
        width = draw(st.sampled_from([Size.B, Size.H, Size.W, Size.DW]))
        n = width.nbytes
        off = size - n + 1  # the access ends one byte past the checked length
        return insert(prog, first, [Insn(Class.LDX | width | Mode.MEM, dst=0, src=PKT, off=off)]), first
    if kind == "map_value_null":  # a key the verifier cannot know (a constant one in range
        # of an array makes the lookup non-NULL in recent kernels)
        block = [Insn(Class.JMP | JmpOp.CALL, imm=helper_number("get_prandom_u32")),
                 Insn(Class.STX | Size.W | Mode.MEM, dst=10, src=0, off=KEY_OFF),
                 Insn(LDDW, dst=1, src=PseudoSrc.MAP_FD, imm=0),
                 Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=2, src=10),
                 Insn(Class.ALU64 | AluOp.ADD, dst=2, imm=KEY_OFF),
                 Insn(Class.JMP | JmpOp.CALL, imm=helper_number("map_lookup_elem")),
                 Insn(Class.LDX | Size.DW | Mode.MEM, dst=0, src=0,
                      off=8 * draw(st.integers(0, ARR_VALUE // 8 - 1)))]
        at = draw(st.sampled_from(ran))
        out = insert(prog, at, block, refs={2: Ref.map(ARR)})
        out.maps[ARR] = MapSpec(ARR, "array", key_size=4, value_size=ARR_VALUE, max_entries=4)
        return out, at + 6
    if kind == "scalar_deref":
        at = draw(st.sampled_from(ran))
        addr = draw(st.sampled_from([0, 8, 0x1000, -8]))
        return insert(prog, at, [_mov(0, addr),
                                 Insn(Class.LDX | Size.DW | Mode.MEM, dst=0, src=0)]), at + 1
    if kind == "frame_pointer_write":
        at = draw(st.sampled_from(ran))
        return insert(prog, at, [_mov(10, 0)]), at
    if kind == "unreachable":
        return insert(prog, len(prog.insns), [_mov(0, 0)]), len(prog.insns)
    if kind == "jump_out_of_range":
        at = draw(st.sampled_from(ran))
        total = sum(i.slots for i in prog.insns)
        here = sum(i.slots for i in prog.insns[:at])
        past = total - here + draw(st.integers(0, 3))  # lands at or past the end
        return insert(prog, at, [Insn(Class.JMP | JmpOp.JA, off=past)]), at
    if kind == "unknown_helper":
        at = draw(st.sampled_from(ran))
        return insert(prog, at, [Insn(Class.JMP | JmpOp.CALL,
                                      imm=draw(st.sampled_from([0, 0x7FFF, 1 << 20])))]), at
    raise ValueError(f"unknown near-miss kind {kind!r} (kinds: {', '.join(KINDS)})")


def _main(prog: ProgramSpec) -> list[Insn]:
    """The main function's instructions (up to the first subprogram)."""
    from ..kernel.oracle import main_end

    end = main_end(prog.resolve())
    out, slot = [], 0
    for insn in prog.insns:
        if slot >= end:
            break
        out.append(insn)
        slot += insn.slots
    # keep the final exit out of reach: mutations go before it
    return out[:-1] if out and out[-1].opcode == EXIT else out


@st.composite
def near_misses(draw: st.DrawFn, *, kinds: Sequence[str] = KINDS, mem_size: int | None = None,
                max_blocks: int = 6) -> NearMiss:
    """A `NearMiss` (see the module docstring) of one of ``kinds``."""
    bad = set(kinds) - set(KINDS)
    if bad:
        raise ValueError(f"unknown near-miss kind {', '.join(sorted(bad))} (kinds: {', '.join(KINDS)})")
    prog, size = draw(_raw(mem_size, max_blocks, True, True, True))
    kind = draw(st.sampled_from(list(kinds)))
    mutated, at = _mutate(draw, prog, size, kind)
    wrapped = _wrap(mutated, size, f"near_{kind}")
    from ..kernel.oracle import prologue

    return NearMiss(wrapped, kind, _wrap(prog, size, "accepted"), at + len(prologue(size)))


__all__ = ["KINDS", "NearMiss", "accepted_programs", "insert", "near_misses"]
