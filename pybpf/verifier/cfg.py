"""Static checks before path exploration: encodings, jump targets, reachability.

The kernel's ``check_cfg`` order: every jump must land on an instruction start
inside the program, the last instruction must end the flow, and every
instruction must be reachable from the entry (or a subprogram).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate, compress
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, NamedTuple, NoReturn, cast

from ..isa import LDDW, AluOp, AtomicOp, CallSrc, Class, Insn, JmpOp, Mode, PseudoSrc
from .decoded import DecodedInsn, decode
from .report import Reject

if TYPE_CHECKING:
    from .kernel_profile import KernelProfile

_JA = int(JmpOp.JA)
_OPCODE = itemgetter(0)
_PROBLEM = attrgetter("encoding_problem")
#: (i + 1,) for each i: the successors of an instruction that falls through (values, shared)
_NEXT: list[tuple[int, ...]] = []
_MAX_SHARED_NEXT = 1 << 14


def _falls_through(n: int) -> list[tuple[int, ...]]:
    """The successors of ``n`` instructions that all fall through (the last has none)."""
    out: list[tuple[int, ...]]
    if n > _MAX_SHARED_NEXT:
        out = [(i + 1,) for i in range(n)]
    else:
        if len(_NEXT) < n:
            _NEXT.extend((i + 1,) for i in range(len(_NEXT), n))
        out = _NEXT[:n]
    if n:
        out[-1] = ()
    return out


_CALL = int(JmpOp.CALL)
_EXIT = int(JmpOp.EXIT)


def slot_map(insns: Sequence[Insn]) -> tuple[list[int], dict[int, int]]:
    """(slot of each insn and one past the last, slot -> insn index).

    >>> from pybpf.isa import Insn
    >>> slot_map([Insn(0xb7), Insn(0x18), Insn(0x95)])
    ([0, 1, 3, 4], {0: 0, 1: 1, 3: 2})
    """
    return _slot_map(list(map(_OPCODE, insns)))


def _slot_map(opcodes: list[int]) -> tuple[list[int], dict[int, int]]:
    """`slot_map` of the instructions of ``opcodes``."""
    n = len(opcodes)
    if LDDW not in opcodes:  # one slot each (no lddw): the index is its own slot
        return list(range(n + 1)), dict(zip(range(n), range(n), strict=True))
    slots = list(accumulate([2 if op == LDDW else 1 for op in opcodes], initial=0))
    return slots, dict(zip(slots, range(n), strict=False))  # (slots has one more)


def successors(insns: list[Insn], i: int, slots: list[int], index: dict[int, int]) -> list[int]:
    """Instruction indices that may follow insn ``i`` (calls continue after the call)."""
    insn = insns[i]
    cls = insn.cls
    nxt = [i + 1] if i + 1 < len(insns) else []
    if cls not in (Class.JMP, Class.JMP32):
        return nxt
    op = insn.op
    if op == _EXIT and cls == Class.JMP:
        return []
    if op == _CALL and cls == Class.JMP:
        return nxt
    rel = insn.imm if (cls == Class.JMP32 and op == _JA) else insn.off
    target = index.get(slots[i] + 1 + rel)
    if op == _JA:
        return [target] if target is not None else []
    return nxt + ([target] if target is not None else [])


class Cfg(NamedTuple):
    """What `check_cfg` finds: the slot of each instruction (and one past the last), slot ->
    instruction index, the subprogram starts, each instruction's successors
    (`pybpf.verifier.analysis.successors`), and whether every successor comes after its
    instruction (no loop); made in the same pass, what `pybpf.verifier.analysis.analyze`
    derives from the instructions alone: the marks (`Marks`)."""

    slots: list[int]
    at_slot: dict[int, int]
    subprogs: set[int]
    succ: list[tuple[int, ...]]
    forward: bool
    marks: Marks | None = None


class Marks(NamedTuple):
    """``visit_insn``'s marks that the instructions alone decide (prune points, jump points,
    forced checkpoints): all but those of a call that depend on the function called."""

    prune: list[bool]
    jmp_point: list[bool]
    force_checkpoint: list[bool]


def check_cfg(insns: list[Insn], kernel: KernelProfile | None = None, *,
              decoded: bool = False) -> Cfg:
    """Run the static checks; returns the `Cfg` (slots, slot->index, subprogram starts,
    successors).

    ``kernel``: the profile whose unknown instruction forms are refused (`_kernel_refusals`);
    ``decoded``: ``insns`` are all `DecodedInsn` already (else they are decoded as needed).

    Only the jumps, calls and ``lddw`` are visited one by one: every other instruction
    falls through to the next (its successor and its marks are those of the start)."""
    dec = cast("list[DecodedInsn]", insns if decoded or all(isinstance(insn, DecodedInsn)
                                                            for insn in insns)
               else decode(insns))
    ops = list(map(_OPCODE, dec))
    slots, index = _slot_map(ops)
    total = slots[-1]
    n = len(dec)
    subprogs: set[int] = {0}
    if kernel is not None and kernel.insn_forms:
        _kernel_refusals(dec, kernel)
    # the first instruction with a bad encoding (or outside the kernel's table): refused
    # there, unless a jump before it is refused first
    first_bad = n
    problems = list(map(_PROBLEM, dec))
    if problems.count(None) != n or any(map(_NOT_IN_KERNEL_TABLE.__getitem__, ops)):
        first_bad = next(i for i, (p, op) in enumerate(zip(problems, ops, strict=True))
                         if p is not None or _NOT_IN_KERNEL_TABLE[op])
    jmp32_cls, lddw, func_src, local_src = _JMP32, LDDW, _FUNC, _LOCAL
    succ = _falls_through(n)
    forward = True
    # analyze's marks (see `Cfg`), made in this pass
    prune = [False] * n
    jmp = [False] * n
    force = [False] * n
    # the jumps, calls and lddw, in order; (i, target) of the jumps
    special = list(compress(range(n), map(_SPECIAL.__getitem__, ops)))
    for i in special:
        if i >= first_bad:
            break
        insn = dec[i]
        if ops[i] == lddw:
            if insn.src == func_src:  # a function's address (a callback)
                dest = slots[i] + 1 + insn.imm
                if dest not in index:
                    _fail(dec, None, Reject(i, f"jump out of range from insn {slots[i]} to "
                                              f"{dest}", "jump_out_of_range"))
                callee = index[dest]
                subprogs.add(callee)
                if i + 1 < n:  # (visit_func_call_insn)
                    prune[i + 1] = jmp[i + 1] = True
                prune[i] = prune[callee] = jmp[callee] = True
            continue
        op = insn.op
        if op == _EXIT:
            succ[i] = ()
            continue
        if op == _CALL:
            if i + 1 < n:  # (visit_func_call_insn)
                prune[i + 1] = jmp[i + 1] = True
            if insn.src != local_src:
                continue
            dest = slots[i] + 1 + insn.imm
            if dest < 0 or dest >= total:
                _fail(dec, None, Reject(None, "call to invalid destination",
                                          "jump_out_of_range"))
            if dest not in index:
                _fail(dec, None, Reject(index[dest - 1], "jump into the middle of ldimm64 "
                                          f"insn {dest - 1}", "jump_into_lddw"))
            callee = index[dest]
            subprogs.add(callee)
            prune[i] = prune[callee] = jmp[callee] = True
            continue
        is_ja = op == _JA
        dest = slots[i] + 1 + (insn.imm if insn.cls == jmp32_cls and is_ja else insn.off)
        if dest < 0 or dest >= total:
            _fail(dec, None, Reject(i, f"jump out of range from insn {slots[i]} to {dest}",
                                      "jump_out_of_range"))
        target = index.get(dest)
        if target is None:  # named by the lddw whose second half it hits
            _fail(dec, None, Reject(index[dest - 1], "jump into the middle of ldimm64 insn "
                                      f"{dest - 1}", "jump_into_lddw"))
        if target <= i:
            forward = False
        prune[target] = jmp[target] = True
        if is_ja:
            succ[i] = (target,)
        else:
            prune[i] = True
            if op == _JCOND:
                force[i] = True
            succ[i] = (i + 1, target) if i + 1 < n else (target,)
    if first_bad < n:
        _fail(dec, first_bad)
    last = dec[-1]
    lcls, lop = last.cls, last.op
    if not (lcls in (Class.JMP, Class.JMP32) and lop in (_EXIT, _JA)):
        raise Reject(None, "last insn is not an exit or jmp", "missing_exit")
    # reachability from every subprogram entry (the jumps are all in range by now)
    if forward:
        _check_reached_forward(special, succ, subprogs, slots, n)
    else:  # depth first
        seen = [False] * n
        for start in sorted(subprogs):
            stack = [start]
            while stack:
                i = stack.pop()
                if seen[i]:
                    continue
                seen[i] = True
                stack.extend(succ[i])
        if not all(seen):
            i = seen.index(False)
            raise Reject(i, f"unreachable insn {slots[i]}", "unreachable_insn")
    return Cfg(slots, index, subprogs, succ, forward, Marks(prune, jmp, force))


def _check_reached_forward(special: list[int], succ: list[tuple[int, ...]], subprogs: set[int],
                           slots: list[int], n: int) -> None:
    """Refuse the first instruction no subprogram entry reaches, in a program whose every
    jump goes forward: a run of instructions up to one that does not fall through (an exit,
    a ``ja``) is reached whole when its first one is, which only earlier jumps (or a
    subprogram's entry) can reach."""
    reached = set(subprogs)
    add = reached.add
    for i in special:
        ss = succ[i]
        for j in ss:
            add(j)
        if i + 1 < n and (i + 1) not in ss and i + 1 not in reached:
            # the run after an instruction that does not fall through, reached by nothing
            j = i + 1
            raise Reject(j, f"unreachable insn {slots[j]}", "unreachable_insn")


def _fail(insns: list[DecodedInsn], i: int | None, rej: Reject | None = None) -> NoReturn:
    """Raise the kernel's first complaint when instruction ``i`` has a bad encoding (or
    ``rej``, another refusal, is to be raised): an opcode outside the kernel's table anywhere
    in the program (resolve_pseudo_ldimm64 runs before check_cfg) comes first."""
    for insn in insns:
        reason = insn.encoding_problem
        if _NOT_IN_KERNEL_TABLE[insn[0]] or (reason is not None and reason.startswith("unknown")):
            raise Reject(None, f"unknown opcode {insn.opcode:02x}", "invalid_insn")
    if rej is not None:
        raise rej
    assert i is not None
    insn = insns[i]
    raise Reject(i, _reserved_message(insn, insn.cls), "invalid_insn")


_JMP, _JMP32 = int(Class.JMP), int(Class.JMP32)
_FUNC, _LOCAL = int(PseudoSrc.FUNC), int(CallSrc.LOCAL)


def _not_in_kernel_table(insn: Insn) -> bool:
    """A call or exit the kernel's instruction table lacks: ``callx`` (a call through a
    register, which clang emits for function pointers) and the JMP32 forms of both."""
    cls = insn.cls
    if cls != Class.JMP and cls != Class.JMP32:
        return False
    op = insn.op
    return (op == _CALL or op == _EXIT) and (cls == Class.JMP32 or insn.uses_src_reg)


#: opcode -> `_not_in_kernel_table` (it reads the opcode alone)
_NOT_IN_KERNEL_TABLE = tuple(_not_in_kernel_table(Insn(opcode)) for opcode in range(256))
#: opcode -> whether `check_cfg` visits the instruction (a jump, a call, an exit, an lddw)
_SPECIAL = tuple(opcode & 7 in (_JMP, _JMP32) or opcode == LDDW for opcode in range(256))


def _kernel_refusals(insns: list[DecodedInsn], kernel: KernelProfile) -> None:
    """Refuse the instruction forms ``kernel`` does not know, as it does: an opcode missing from
    its instruction table before anything else (no instruction named), a field it reserves
    (``BPF_ALU uses reserved fields``) at the first such instruction."""
    named = None
    forms = kernel.insn_forms
    for i, insn in enumerate(insns):
        form = insn.form  # kernel.refuses_insn(insn), from the decoded form
        if form is None:
            continue
        refusal = forms.get(form)
        if refusal is None:
            continue
        if not refusal.named:
            raise Reject(None, refusal.message.splitlines(), "invalid_insn")
        if named is None:
            named = (i, refusal)
    if named is not None:
        raise Reject(named[0], named[1].message.splitlines(), "invalid_insn")


def _reserved_message(insn: Insn, cls: int) -> str:
    names: dict[int, str] = {Class.ALU: "BPF_ALU", Class.ALU64: "BPF_ALU", Class.JMP: "BPF_JMP/JMP32",
             Class.JMP32: "BPF_JMP/JMP32", Class.LDX: "BPF_LDX", Class.STX: "BPF_STX",
             Class.ST: "BPF_ST", Class.LD: "BPF_LD"}
    return f"{names.get(cls, 'BPF')} uses reserved fields"


_MOV = int(AluOp.MOV)
_ADD_SUB = (int(AluOp.ADD), int(AluOp.SUB))
_ATOMIC = int(Mode.ATOMIC)
_IND = int(Mode.IND)
_CMPXCHG = int(AtomicOp.CMPXCHG)
_LOAD_ACQ = int(AtomicOp.LOAD_ACQ)
_STORE_REL = int(AtomicOp.STORE_REL)
_JCOND = int(JmpOp.JCOND)
_CALL_DEFS = 0x3F  # a call writes r0 (result) and clobbers r1-r5
_CALL_ARGS = 0x3E  # r1-r5


def reg_effects(insn: Insn, ret_checked: bool = True) -> tuple[int, int, int, int]:
    """What one instruction does to registers, as bit masks (bit n = rn):
    ``(reads, writes, needs_exact, flows_from)``.

    ``needs_exact`` are the reads whose exact scalar value can matter for safety (memory
    bases and offsets, pointer arithmetic, helper arguments, conditional jumps, a checked
    return value); ``flows_from`` are the sources of the written value, through which
    that need travels backwards (the static stand-in for the kernel's precision
    backtracking). One place, read by `liveness` and `precision_needed`.
    """
    cls = insn.cls
    d, s = 1 << insn.dst, 1 << insn.src
    x = insn.uses_src_reg
    if cls in (Class.ALU, Class.ALU64):
        aop = insn.op
        if aop == _MOV:
            return (s if x else 0), d, 0, (s if x else 0)
        reads = d | (s if x else 0)
        exact = reads if (x and aop in _ADD_SUB and cls == Class.ALU64) else 0
        return reads, d, exact, reads
    if cls == Class.LDX:
        return s, d, s, 0
    if cls == Class.ST:
        return d, 0, d, 0
    if cls == Class.STX:
        if insn.mode != _ATOMIC:
            return d | s, 0, d | s, 0
        imm = insn.imm & 0xFFFFFFFF
        if imm == _CMPXCHG:
            return d | s | 1, 1, d | s | 1, 0
        if imm == _LOAD_ACQ:
            return s, d, s, 0
        fetch = imm & 1 and imm != _STORE_REL
        return d | s, (s if fetch else 0), d | s, 0
    if cls == Class.LD:
        if insn.opcode == LDDW:
            return 0, d, 0, 0
        reads = (1 << 6) | (s if insn.mode == _IND else 0)  # r6 holds the skb
        return reads, _CALL_DEFS, reads, 0
    jop = insn.op
    if cls == Class.JMP and jop == _CALL:
        return _CALL_ARGS, _CALL_DEFS, _CALL_ARGS, 0
    if cls == Class.JMP and jop == _EXIT:
        return 1, 0, (1 if ret_checked else 0), 0
    if jop in (_JA, _JCOND):
        return 0, 0, 0, 0
    reads = d | (s if x else 0)
    return reads, 0, reads, 0


def liveness(insns: list[Insn], slots: list[int], index: dict[int, int]) -> list[int]:
    """Registers live before each instruction (a bit mask per insn), by backward dataflow.

    A register is live when some path from here reads it before writing it. Calls keep
    the caller's r6-r9 and define r0-r5; a subprogram's ``exit`` reads only r0.
    """
    n = len(insns)
    use_def = [reg_effects(insn)[:2] for insn in insns]
    succ = [successors(insns, i, slots, index) for i in range(n)]
    live = [0] * n
    changed = True
    while changed:
        changed = False
        for i in range(n - 1, -1, -1):
            out = 0
            for j in succ[i]:
                out |= live[j]
            use, defs = use_def[i]
            new = use | (out & ~defs)
            if new != live[i]:
                live[i] = new
                changed = True
    return live


def precision_needed(insns: list[Insn], slots: list[int], index: dict[int, int],
                     ret_checked: bool) -> list[int]:
    """Registers whose exact scalar value may matter for safety, before each instruction.

    A static, conservative stand-in for the kernel's precision backtracking: when
    comparing states for pruning, scalars outside this mask are "imprecise" and
    compare equal whatever their range (values spilled to the stack always count).
    """
    n = len(insns)
    steps = [reg_effects(insn, ret_checked) for insn in insns]
    succ = [successors(insns, i, slots, index) for i in range(n)]
    need = [0] * n
    changed = True
    while changed:
        changed = False
        for i in range(n - 1, -1, -1):
            out = 0
            for j in succ[i]:
                out |= need[j]
            _reads, defs, exact, flow = steps[i]
            new = exact | (out & ~defs) | (flow if out & defs else 0)
            if new != need[i]:
                need[i] = new
                changed = True
    return need
