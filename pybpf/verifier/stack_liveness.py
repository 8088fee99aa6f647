"""Which stack slots may still be read: the kernel's live stack analysis (kernel/bpf/liveness.c).

As the search visits instructions it records, per *call chain* (the call sites that led to
the current function plus its start) and per instruction, the 8-byte stack slots that may
be read there and the slots that are surely written there, for every frame of the chain.
A classic backward dataflow over the function then gives the slots live before each
instruction (``live_before``); what a callee surely writes and may read flows to its call
site in the caller's instance. When a checkpoint is cleaned (`pybpf.verifier.explore`), the
slots not alive at its instruction are forgotten, so more states compare equal.

Masks are 64-bit sets of the kernel's slot numbers (``spi``: bit 0 is ``fp-8``).

>>> live = StackLiveness(lambda start: [2, 1, 0], lambda i: (i + 1,) if i < 2 else (),
...                      lambda i: False, {0: 3})
>>> chain = (0,)
>>> live.reset_writes(chain, 0); live.mark_write(0, 1); live.commit_writes()
>>> live.mark_read(chain, 0, 1, 1 << 2)
>>> live.update([(chain, chain)])
>>> live.slot_alive_at((chain,), 0, 0, 2), live.slot_alive_at((chain,), 0, 0, 0)
(True, False)
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

_ALL = (1 << 64) - 1

#: a call chain: the call site of each outer frame, then the current function's start
Chain = tuple[int, ...]


class _Instance:
    """Masks of one call chain: per frame, per instruction of the function."""

    __slots__ = ("chain", "starts", "start", "size", "frames", "must_write_set", "updated",
                 "dropped")

    def __init__(self, chain: Chain, starts: Chain, size: int) -> None:
        self.chain = chain
        self.starts = starts
        self.start = starts[-1]
        self.size = size
        #: frame -> [may_read, must_write, must_write_acc, live_before] lists, or absent
        self.frames: dict[int, list[list[int]]] = {}
        self.must_write_set = [False] * size
        self.updated = False
        self.dropped = False

    def masks(self, frame: int) -> list[list[int]]:
        m = self.frames.get(frame)
        if m is None:
            n = self.size
            m = self.frames[frame] = [[0] * n, [0] * n, [0] * n, [0] * n]
        return m


class StackLiveness:
    """The live stack analysis of one verification run.

    ``postorder(start)`` gives a function's instructions in postorder, ``succ(i)`` the
    successors of an instruction, ``calls_callback(i)`` whether a call instruction calls a
    callback; ``sizes`` maps each function start to its number of instructions; ``acyclic``
    says that no function has a loop (one pass in postorder then reaches the fixpoint: each
    instruction's masks depend on its successors' alone).
    """

    def __init__(self, postorder: Callable[[int], list[int]], succ: Callable[[int], Iterable[int]],
                 calls_callback: Callable[[int], bool], sizes: Mapping[int, int],
                 acyclic: bool = False) -> None:
        self.acyclic = acyclic
        self.postorder = postorder
        self.succ = succ
        self.calls_callback = calls_callback
        self.sizes = sizes
        self.instances: dict[Chain, _Instance] = {}
        self._write_inst: _Instance | None = None
        self._write_rel = 0
        self._write_acc: dict[int, int] | None = None

    def instance(self, chain: Chain, starts: Chain | None = None) -> _Instance:
        """The instance of ``chain``; ``starts`` (each frame's function start) is needed the
        first time."""
        inst = self.instances.get(chain)
        if inst is None:
            if starts is None:
                starts = chain[-1:]
            inst = self.instances[chain] = _Instance(chain, starts, self.sizes[starts[-1]])
        return inst

    # -- accumulation ------------------------------------------------------------------
    def mark_read(self, chain: Chain, frame: int, insn: int, mask: int,
                  starts: Chain | None = None) -> None:
        """Slots ``mask`` of ``frame`` may be read at ``insn`` (in the function of ``chain``)."""
        inst = self.instances.get(chain)
        if inst is None:
            inst = self.instance(chain, starts)
        m = inst.frames.get(frame)
        if m is None:
            m = inst.masks(frame)
        rel = insn - inst.start
        may_read = m[0]
        new = may_read[rel] | mask
        if new != may_read[rel] and (new | m[3][rel]) != m[3][rel]:
            inst.updated = True
        may_read[rel] = new

    def reset_writes(self, chain: Chain, insn: int, starts: Chain | None = None) -> None:
        """Start collecting the writes of instruction ``insn``."""
        inst = self.instances.get(chain)
        if inst is None:
            inst = self.instance(chain, starts)
        self._write_inst = inst
        self._write_rel = insn - inst.start
        self._write_acc = None

    def mark_write(self, frame: int, mask: int) -> None:
        acc = self._write_acc
        if acc is None:
            acc = self._write_acc = {}
        acc[frame] = acc.get(frame, 0) | mask

    def commit_writes(self) -> None:
        """The instruction ran: intersect its writes with what earlier visits wrote."""
        inst = self._write_inst
        if inst is None:
            return
        self._write_inst = None
        rel = self._write_rel
        acc = self._write_acc
        seen = inst.must_write_set[rel]
        if acc is None and not seen:
            inst.must_write_set[rel] = True
            return
        for frame in range(len(inst.chain)):
            mask = acc.get(frame, 0) if acc is not None else 0
            if mask == 0 and not seen:
                continue
            m = inst.masks(frame)
            old = m[1][rel]
            if seen:
                mask &= old
            if old != mask:
                m[1][rel] = mask
                inst.updated = True
            if old & ~mask:
                inst.dropped = True
        inst.must_write_set[rel] = True

    # -- propagation -------------------------------------------------------------------
    def update(self, chains: Iterable[tuple[Chain, Chain]]) -> None:
        """bpf_update_live_stack: bring the instances of these (chain, starts) pairs
        (innermost first) up to date."""
        for chain, starts in chains:
            inst = self.instance(chain, starts)
            if inst.updated:
                self._update_instance(inst)
                inst.updated = False
                inst.dropped = False

    def _update_instance(self, inst: _Instance) -> None:
        start = inst.start
        if inst.dropped:
            for m in inst.frames.values():
                m[2] = [0] * inst.size
        order = self.postorder(start)
        succ = self.succ
        changed = True
        while changed:
            changed = False
            for m in list(inst.frames.values()):
                may_read, must_write, acc, live = m
                for i in order:
                    ss = succ(i)
                    if not ss:
                        continue
                    rel = i - start
                    after = 0
                    macc = _ALL
                    for s in ss:
                        after |= live[s - start]
                        macc &= acc[s - start]
                    macc |= must_write[rel]
                    before = (after & ~must_write[rel]) | may_read[rel]
                    if before != live[rel] or macc != acc[rel]:
                        live[rel] = before
                        acc[rel] = macc
                        changed = True
            if self.acyclic:
                break
        if len(inst.chain) > 1:
            self._to_outer(inst)

    def _to_outer(self, inst: _Instance) -> None:
        chain = inst.chain
        outer_starts = inst.starts[:-1]
        outer_chain = chain[:-2] + outer_starts[-1:]
        callsite = chain[-2]
        saved = (self._write_inst, self._write_rel, self._write_acc)
        self.reset_writes(outer_chain, callsite, outer_starts)
        for frame in range(len(chain) - 1):
            m = inst.frames.get(frame)
            if m is None:
                continue
            self.mark_write(frame, m[2][0])
            self.mark_read(outer_chain, frame, callsite, m[3][0])
        self.commit_writes()
        self._write_inst, self._write_rel, self._write_acc = saved

    # -- queries -----------------------------------------------------------------------
    def _live_before(self, chain: Chain, insn: int, frame: int, spi: int) -> bool:
        inst = self.instances.get(chain)
        if inst is None:
            return False
        m = inst.frames.get(frame)
        if m is None:
            return False
        return bool(m[3][insn - inst.start] >> spi & 1)

    def slot_alive_at(self, chains: tuple[Chain, ...], insn: int, frameno: int, spi: int) -> bool:
        """bpf_stack_slot_alive for a state whose frames have ``chains`` (outermost first)
        and whose current instruction is ``insn``."""
        cur = len(chains) - 1
        if self._live_before(chains[cur], insn, frameno, spi):
            return True
        inner = chains[cur]
        for i in range(frameno, cur):
            callsite = inner[i]
            at = callsite if self.calls_callback(callsite) else callsite + 1
            if self._live_before(chains[i], at, frameno, spi):
                return True
        return False


__all__ = ["Chain", "StackLiveness"]
