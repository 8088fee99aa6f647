"""What the kernel computes about a program before exploring it, per instruction.

After the static checks (`pybpf.verifier.cfg.check_cfg`), the kernel's ``bpf_check`` marks
instructions and runs three analyses whose results steer the search:

- marks from ``check_cfg``'s ``visit_insn``: *prune points* (where states are compared),
  *jump points* (where the path's history records a non-linear step), *forced
  checkpoints* (callback-calling calls, ``may_goto``, iterator ``next`` calls) and the calls
  that call callbacks;
- a postorder of each subprogram and its strongly connected components (``compute_scc``:
  loops, for the SCC bookkeeping of `pybpf.verifier.explore`);
- the registers live before each instruction (``compute_live_registers``), the only ones
  compared between states and kept in checkpoints.

Instructions are numbered by their position in the list (``lddw`` is one); calls are
described by a `CallInfo` the engine gives for each call instruction.

>>> from pybpf.asm import assemble
>>> from pybpf.verifier.cfg import check_cfg
>>> insns = assemble("r0 = 0\\nif r1 > 3 goto out\\nr0 = 1\\nout:\\nexit").resolve()
>>> cfg = check_cfg(insns)
>>> a = analyze(insns, cfg.slots, cfg.at_slot, cfg.subprogs, {}, cfg.succ, cfg.forward)
>>> [i for i, p in enumerate(a.prune) if p], a.live_before[1] & 0b11
([1, 3], 3)
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from ..isa import LDDW, AtomicOp, CallSrc, Class, Insn, JmpOp, Mode, PseudoSrc
from ..isa.opcodes import FETCH

_JA, _CALL, _EXIT, _JCOND = int(JmpOp.JA), int(JmpOp.CALL), int(JmpOp.EXIT), int(JmpOp.JCOND)
_ALL_CALLER_SAVED = 0x3F  # r0-r5
_ARGS = 0x3E  # r1-r5


class CallInfo(NamedTuple):
    """What the analyses need to know about one call instruction.

    ``kind`` is ``"helper"``, ``"kfunc"`` or ``"subprog"``; ``nargs`` the number of
    parameters of its prototype (None when unknown: r1-r5 are then all read);
    ``sync_callback``/``async_callback``: it calls a callback (bpf_loop, a timer's);
    ``iter_next``: an open-coded iterator's ``next`` kfunc. (A named tuple: a value made
    for every call of every program, which a frozen dataclass is slow to construct.)
    """

    kind: str
    name: str = ""
    nargs: int | None = None
    sync_callback: bool = False
    async_callback: bool = False
    iter_next: bool = False


@dataclass
class Analysis:
    """Per-instruction facts (lists indexed by instruction) and per-subprogram orders."""

    prune: list[bool]
    jmp_point: list[bool]
    force_checkpoint: list[bool]
    calls_callback: list[bool]
    iter_next: list[bool]
    succ: list[tuple[int, ...]]
    subprog_starts: list[int]
    subprog_of: list[int]
    scc: list[int]
    live_before: list[int]
    scc_count: int = 0
    insn_subprog_start: list[int] = field(default_factory=list)
    #: subprogram start -> its instructions in postorder (`postorder_of`, made when asked)
    postorders: dict[int, list[int]] = field(default_factory=dict)

    def postorder_of(self, start: int) -> list[int]:
        """compute_postorder of the subprogram starting at ``start``."""
        po = self.postorders.get(start)
        if po is None:
            po = self.postorders[start] = _postorder(start, self.succ, len(self.succ))
        return po


def successors(insns: list[Insn], slots: list[int], index: Mapping[int, int], i: int) -> tuple[int, ...]:
    """The kernel's bpf_insn_successors: fall-through and/or jump target (calls fall through)."""
    insn = insns[i]
    cls = insn.cls
    n = len(insns)
    if cls != Class.JMP and cls != Class.JMP32:
        return (i + 1,) if i + 1 < n else ()
    op = insn.op
    if op == _EXIT:
        return ()
    if op == _CALL:
        return (i + 1,) if i + 1 < n else ()
    rel = insn.imm if (cls == Class.JMP32 and op == _JA) else insn.off
    target = index.get(slots[i] + 1 + rel)
    if op == _JA:
        return (target,) if target is not None else ()
    out = []
    if i + 1 < n:
        out.append(i + 1)
    if target is not None:
        out.append(target)
    return tuple(out)


def analyze(insns: list[Insn], slots: list[int], index: Mapping[int, int], subprogs: set[int],
            calls: Mapping[int, CallInfo], succ: list[tuple[int, ...]] | None = None,
            forward: bool | None = None,
            marks: tuple[list[bool], list[bool], list[bool]] | None = None) -> Analysis:
    """Marks, postorder, SCCs and live registers of a program that passed `check_cfg`
    (``succ``: each instruction's `successors`, and ``forward``: whether every one comes
    after its instruction, ``marks``: the prune points, jump points and forced checkpoints
    the instructions alone decide, as `check_cfg` found them; not changed)."""
    n = len(insns)
    calls_cb = [False] * n
    iter_next = [False] * n
    if succ is None:
        succ = [successors(insns, slots, index, i) for i in range(n)]
    if marks is not None:
        prune, jmp, force = list(marks[0]), list(marks[1]), list(marks[2])
        for t, info in calls.items():  # what depends on the function called
            if info.async_callback:
                prune[t] = True
            if info.sync_callback:
                calls_cb[t] = force[t] = prune[t] = jmp[t] = True
            if info.iter_next:
                prune[t] = force[t] = iter_next[t] = True
    else:
        prune, jmp, force = _marks(insns, slots, index, calls, succ, calls_cb, iter_next)
    starts = sorted(subprogs)
    subprog_of: list[int] = []
    sub_start: list[int] = []
    ends = [*starts[1:], n]
    if starts[0]:  # (check_cfg's starts include 0)
        subprog_of += [0] * starts[0]
        sub_start += [starts[0]] * starts[0]
    for k, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        subprog_of += [k] * (hi - lo)
        sub_start += [lo] * (hi - lo)
    # a program whose every edge goes forward (no loop, the most common) has no component
    # and its live registers come out of one backward pass
    if forward is None:
        forward = all(s > i for i, ss in enumerate(succ) for s in ss)
    scc, scc_count = ([0] * n, 1) if forward else _scc(succ, n)
    live = _live_registers(insns, succ, calls, forward)
    return Analysis(prune, jmp, force, calls_cb, iter_next, succ, starts, subprog_of,
                    scc, live, scc_count, sub_start)


_JMP_CLS, _JMP32_CLS = int(Class.JMP), int(Class.JMP32)
_FUNC_SRC, _LOCAL = int(PseudoSrc.FUNC), int(CallSrc.LOCAL)


def _marks(insns: list[Insn], slots: list[int], index: Mapping[int, int],
           calls: Mapping[int, CallInfo], succ: list[tuple[int, ...]], calls_cb: list[bool],
           iter_next: list[bool]) -> tuple[list[bool], list[bool], list[bool]]:
    """visit_insn's marks (prune points, jump points, forced checkpoints; ``calls_cb`` and
    ``iter_next`` are marked in place)."""
    n = len(insns)
    prune = [False] * n
    jmp = [False] * n
    force = [False] * n
    jmp_cls, jmp32_cls, lddw, func_src, local_src = _JMP_CLS, _JMP32_CLS, LDDW, _FUNC_SRC, _LOCAL
    for t, insn in enumerate(insns):
        cls = insn.cls
        if cls != jmp_cls and cls != jmp32_cls:
            if insn.opcode == lddw and insn.src == func_src:  # the address of a callback
                _mark_call(t, n, prune, jmp)
                prune[t] = True
                callee = index.get(slots[t] + 1 + insn.imm)
                if callee is not None:
                    prune[callee] = jmp[callee] = True
            continue
        op = insn.op
        if op == _EXIT:
            continue
        if op == _CALL:
            info = calls.get(t)
            if info is not None:
                if info.async_callback:
                    prune[t] = True
                if info.sync_callback:
                    calls_cb[t] = force[t] = prune[t] = jmp[t] = True
                if info.iter_next:
                    prune[t] = force[t] = iter_next[t] = True
            _mark_call(t, n, prune, jmp)
            if insn.src == local_src:
                prune[t] = True
                callee = index.get(slots[t] + 1 + insn.imm)
                if callee is not None:
                    prune[callee] = jmp[callee] = True
            continue
        if op == _JA:
            for w in succ[t]:
                prune[w] = jmp[w] = True
            continue
        prune[t] = True
        if op == _JCOND:
            force[t] = True
        rel = insn.off
        target = index.get(slots[t] + 1 + rel)
        if target is not None:
            prune[target] = jmp[target] = True
    return prune, jmp, force


def _mark_call(t: int, n: int, prune: list[bool], jmp: list[bool]) -> None:
    """visit_func_call_insn: the instruction after a call is a prune and a jump point."""
    if t + 1 < n:
        prune[t + 1] = jmp[t + 1] = True


def _postorder(start: int, succ: list[tuple[int, ...]], n: int) -> list[int]:
    """compute_postorder for one subprogram (iterative DFS, the kernel's visiting order)."""
    state = bytearray(n)  # 1: pushed, 3: its successors pushed
    out: list[int] = []
    stack = [start]
    state[start] = 1
    while stack:
        top = stack[-1]
        if state[top] == 3:
            out.append(top)
            stack.pop()
            continue
        for s in succ[top]:
            if not state[s]:
                stack.append(s)
                state[s] = 1
        state[top] = 3
    return out


def _scc(succ: list[tuple[int, ...]], n: int) -> tuple[list[int], int]:
    """compute_scc: a component id per instruction (0: not in a loop)."""
    not_on_stack = n + 10
    pre = [0] * n
    low = [0] * n
    scc = [0] * n
    next_pre = 1
    next_id = 1
    for i in range(n):
        if pre[i]:
            continue
        stack: list[int] = []
        dfs = [i]
        while dfs:
            w = dfs[-1]
            if pre[w] == 0:
                low[w] = pre[w] = next_pre
                next_pre += 1
                stack.append(w)
            descended = False
            for s in succ[w]:
                if pre[s]:
                    if low[s] < low[w]:
                        low[w] = low[s]
                else:
                    dfs.append(s)
                    descended = True
                    break
            if descended:
                continue
            if low[w] < pre[w]:
                dfs.pop()
                continue
            assign = stack[-1] != w or w in succ[w]
            while True:
                t = stack.pop()
                low[t] = not_on_stack
                if assign:
                    scc[t] = next_id
                if t == w:
                    break
            if assign:
                next_id += 1
            dfs.pop()
    return scc, next_id


def insn_use_def(insn: Insn, call: CallInfo | None) -> tuple[int, int]:
    """The kernel's compute_insn_live_regs: registers (bit masks) read and written."""
    cls = insn.cls
    src, dst = 1 << insn.src, 1 << insn.dst
    if cls == Class.LD:
        if insn.opcode == LDDW:
            return 0, dst
        return 0xFFFF, 0
    if cls == Class.LDX:
        if insn.mode in (Mode.MEM, Mode.MEMSX):
            return src, dst
        return 0xFFFF, 0
    if cls == Class.ST:
        return dst, 0
    if cls == Class.STX:
        if insn.mode == Mode.MEM:
            return dst | src, 0
        imm = insn.imm & 0xFFFFFFFF
        if imm == AtomicOp.CMPXCHG:
            return 1 | dst | src, 1
        if imm == AtomicOp.LOAD_ACQ:
            return src, dst
        if imm == AtomicOp.STORE_REL:
            return dst | src, 0
        return dst | src, (src if imm & FETCH else 0)
    if cls == Class.ALU or cls == Class.ALU64:
        op = insn.op
        if op == 0xD0:  # END
            return dst, dst
        if op == 0xB0:  # MOV
            return (src if insn.uses_src_reg else 0), dst
        return (dst | src) if insn.uses_src_reg else dst, dst
    op = insn.op
    if op == _JA:
        return (dst if insn.uses_src_reg else 0), 0
    if op == _JCOND:
        return 0, 0
    if op == _EXIT:
        return 1, 0
    if op == _CALL:
        use = _ARGS
        if call is not None and call.kind != "subprog" and call.nargs is not None:
            use = ((1 << (call.nargs + 1)) - 1) & ~1
        return use, _ALL_CALLER_SAVED
    return (dst | src) if insn.uses_src_reg else dst, 0


def _live_registers(insns: list[Insn], succ: list[tuple[int, ...]], calls: Mapping[int, CallInfo],
                    forward: bool = False) -> list[int]:
    """compute_live_registers: registers that may be read before being written, per insn.

    The least fixpoint of ``live_in = use | (live_out & ~def)``, iterated backwards from
    the last instruction (the order changes no answer, only how many passes it takes); a
    ``forward`` program (every successor after its instruction) needs one pass, which
    reads each instruction's use and def from its opcode's `USE_DEF` as it goes."""
    n = len(insns)
    live_in = [0] * n
    table = USE_DEF
    if forward:
        for i in range(n - 1, -1, -1):
            out = 0
            for s in succ[i]:
                out |= live_in[s]
            insn = insns[i]
            ud = table[insn[0]]
            if ud is None:
                use, d = insn_use_def(insn, calls.get(i))
            else:
                use, use_dst, use_src, d, def_dst = ud
                if use_dst:
                    use |= 1 << insn[1]
                if use_src:
                    use |= 1 << insn[2]
                if def_dst:
                    d |= 1 << insn[1]
            live_in[i] = ((out & ~d) | use) & 0x7FF
        return live_in
    use_def: list[tuple[int, int]] = []
    add = use_def.append
    for i, insn in enumerate(insns):
        ud = table[insn[0]]
        if ud is None:
            add(insn_use_def(insn, calls.get(i)))
            continue
        use, use_dst, use_src, d, def_dst = ud
        if use_dst:
            use |= 1 << insn[1]
        if use_src:
            use |= 1 << insn[2]
        add((use, d | (1 << insn[1]) if def_dst else d))
    order = range(n - 1, -1, -1)
    changed = True
    while changed:
        changed = False
        for i in order:
            out = 0
            for s in succ[i]:
                out |= live_in[s]
            use, d = use_def[i]
            new_in = (out & ~d) | use
            if new_in != live_in[i]:
                live_in[i] = new_in
                changed = True
    return [v & 0x7FF for v in live_in]


def _use_def_rule(opcode: int) -> tuple[int, int, int, int, int] | None:
    """`insn_use_def` of an instruction of ``opcode`` as ``(registers read, whether dst is
    read, whether src is read, registers written, whether dst is written)``, or None when it
    depends on more than the registers (a call, an atomic operation)."""
    cls, op, mode = opcode & 7, opcode & 0xF0, opcode & 0xE0
    if cls == Class.STX and mode != Mode.MEM:
        return None
    if cls in (Class.JMP, Class.JMP32) and op == JmpOp.CALL:
        return None
    probe_dst, probe_src = Insn(opcode, dst=1, src=2), Insn(opcode, dst=3, src=4)
    a, b = insn_use_def(probe_dst, None), insn_use_def(probe_src, None)
    # which of the read/written masks follow dst (bit 1 then 3) and src (bit 2 then 4)
    use_const = a[0] & b[0]
    use_dst = bool(a[0] & 2) and bool(b[0] & 8) and not use_const & 0x1E
    use_src = bool(a[0] & 4) and bool(b[0] & 16) and not use_const & 0x1E
    def_const = a[1] & b[1]
    def_dst = bool(a[1] & 2) and bool(b[1] & 8) and not def_const & 0x1E
    return (use_const, use_dst, use_src, def_const, def_dst)


#: opcode -> `_use_def_rule` (`pybpf.verifier.decoded` and `_live_registers` read it)
USE_DEF = tuple(_use_def_rule(opcode) for opcode in range(256))


__all__ = ["USE_DEF", "Analysis", "CallInfo", "analyze", "insn_use_def", "successors"]
