"""The search: depth-first exploration of every path, with checkpoints and pruning.

This is the kernel's ``do_check`` with ``push_stack``/``pop_stack``, ``is_state_visited``
and ``update_branch_counts``. At an undecided branch the other side is pushed and the
current side goes on (the kernel's order, so the first error found is the kernel's). At the
kernel's prune points the current state is compared with the *checkpoints* recorded there
(`pybpf.verifier.prune.states_equal`): an equal one whose paths are all explored ends the
path (its precise marks are carried over, `pybpf.verifier.precision`); one still being
explored is a loop, checked for an infinite loop. A new checkpoint is recorded after enough
work since the last (2 jumps and 8 instructions, or where the kernel forces one); before
the first comparison at an instruction, finished checkpoints there forget the registers and
stack slots no path reads any more. Checkpoints that keep failing to match are evicted, as
the kernel does.

Loops: a checkpoint inside a strongly connected component (`pybpf.verifier.analysis`) opens
an *SCC visit*; states matched inside it before its paths are done are kept as back-edges,
and when the visit ends the precise marks are propagated along them to a fixed point.

Each instruction runs through its class's handler (`pybpf.verifier.alu`, `jumps`,
`load_store`), which returns a `Flow`; what happens is told to the run's `Observer`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import MAY_GOTO, Class
from . import alu, jumps, load_store
from .fastforward import START, FastForward
from .flow import Flow
from .observer import Observer
from .precision import NotSupported, mark_all_imprecise, precise_of
from .prune import EXACT, NOT_EXACT, RANGE_WITHIN, states_equal, states_maybe_looping
from .report import Reject
from .state import IterState, Slot, State

if TYPE_CHECKING:
    from .session import Session

# enum members as globals: read from its class (``RT.SCALAR``) a member is a class
# attribute lookup at every step; a global is the cheapest read
_FLOW_DECIDED = Flow.DECIDED
_FLOW_EXIT = Flow.EXIT
_FLOW_RETURNED = Flow.RETURNED
_ITER_ACTIVE = IterState.ACTIVE
_SLOT_ITER = Slot.ITER

MAX_PROCESSED = 1_000_000
MAX_JMP_SEQ = 8192  # pending branches (BPF_COMPLEXITY_LIMIT_JMP_SEQ)
MAX_BACKEDGE_ITERS = 64
#: the kernel's add_new_state heuristic: a new checkpoint only after this much work
_MIN_JMPS, _MIN_INSNS = 2, 8
#: ... and inside a loop, only after this much
_LOOP_JMPS, _LOOP_INSNS = 20, 100
_HISTORY_LIMIT = 40

#: instruction class -> its handler
_HANDLERS = {Class.LD: load_store.step_ld, Class.LDX: load_store.step_ldx,
             Class.ST: load_store.step_store, Class.STX: load_store.step_store,
             Class.ALU: alu.step, Class.ALU64: alu.step, Class.JMP: jumps.step,
             Class.JMP32: jumps.step}
#: ... by the class's number (an instruction's ``cls``)
_HANDLER_OF = tuple(_HANDLERS[Class(c)] for c in range(8))


class _SccVisit:
    __slots__ = ("entry", "backedges")

    def __init__(self) -> None:
        self.entry: State | None = None
        self.backedges: list[State] = []


class Search:
    """One depth-first exploration of a program, driven by `pybpf.verifier.engine.Verifier.run`."""

    def __init__(self, v: Session) -> None:
        self.v = v
        self.stack: list[tuple[State, int, int]] = []  # (state, insn, previous insn)
        #: (insn, callsite of the current frame) -> checkpoints there, newest last
        self.explored: dict[tuple[int, int], list[State]] = {}
        self.last_state: State | None = None
        self.cur: State | None = None
        self.prev_insn = -1
        self.scc_visits: dict[tuple, _SccVisit] = {}
        #: the history entry of the instruction being run (entries of one insn are merged)
        self.hist_entry: list | None = None
        #: the history list that holds `hist_entry`, and its place there
        self.hist_at: tuple[list, int] = ([], 0)
        self.total_states = 0
        #: watches for periodic loops past `fastforward.START` instructions (None: off)
        self.fast_forward: FastForward | None = getattr(v, "fast_forward", None)

    # -- the loop ----------------------------------------------------------------------
    def run(self, initial: State) -> None:
        """Explore every path from ``initial`` (a main program or a global function)."""
        v = self.v
        insns = v.insns
        slots = v.slots
        aux = v.aux
        prune = aux.prune
        jmp_point = aux.jmp_point
        obs = v.observer
        # the base Observer's hooks do nothing: a run without an observer skips the calls
        quiet = type(obs) is Observer
        handler_of = _HANDLER_OF  # an instruction's handler by its class
        liveness = v.stack_liveness
        instances = liveness.instances
        commit_writes = liveness.commit_writes
        visit = self._visit
        cur = initial
        self.cur = cur
        cur.first_insn = cur.insn
        cur.last_insn = -1
        prev = -1
        print_state = True
        if not quiet:
            obs.path_start(cur)
        ff = self.fast_forward
        ff_after = START if ff is not None else MAX_PROCESSED + 1
        ran = -1  # the last instruction run
        while True:
            i = cur.insn
            self.hist_entry = None
            self.prev_insn = prev
            processed = v.processed + 1
            v.processed = processed
            if processed > MAX_PROCESSED:
                # the kernel stops before printing instruction i: its log's last instruction
                # is the one run before it
                raise Reject(ran if ran >= 0 else i,
                             f"BPF program is too large. Processed {processed} insn",
                             "too_complex")
            cur.last_insn = prev
            self.last_state = cur
            if prune[i] and visit(cur, i):
                v.note_depth(cur)
                if not quiet:
                    obs.pruned(cur, i, prev if print_state else None)
            else:
                if prune[i] and v.processed > ff_after and ff is not None:
                    ff.visit(v, self, cur, i, MAX_PROCESSED)
                if jmp_point[i]:
                    self.push_history(cur, 0)
                if not quiet:
                    if print_state:
                        obs.resumed(cur, prev)
                        print_state = False
                    obs.insn_start(cur)
                insn = insns[i]
                prev = ran = i
                # liveness.reset_writes, inline
                frame = cur.frames[-1]
                inst = instances.get(frame.chain)
                if inst is None:
                    inst = liveness.instance(frame.chain, frame.starts)
                rel = i - inst.start
                liveness._write_inst = inst
                liveness._write_rel = rel
                liveness._write_acc = None
                flow = handler_of[insn.cls](v, cur, insn, i)
                # liveness.commit_writes, whose work is nothing when the instruction wrote no
                # slot, ran before and no earlier visit recorded a surely-written slot here,
                # and only a mark when it wrote no slot and runs for the first time
                if liveness._write_acc is None and liveness._write_inst is inst:
                    must_write_set = inst.must_write_set
                    if not must_write_set[rel]:
                        must_write_set[rel] = True
                        liveness._write_inst = None
                    else:
                        for m in inst.frames.values():
                            if m[1][rel]:
                                commit_writes()
                                break
                        else:
                            liveness._write_inst = None
                else:
                    commit_writes()
                if flow is not _FLOW_EXIT:
                    if not quiet:
                        obs.insn_done(cur, insn, i, slots[i], decided=flow is _FLOW_DECIDED)
                        if flow is _FLOW_RETURNED:
                            print_state = True
                    continue
                if not quiet:
                    obs.path_exit(insn, i, slots[i])
            self.update_branch_counts(cur)
            v.update_live_stack(cur)
            if not self.stack:
                return
            cur, i, prev = self.stack.pop()
            cur.insn = i
            self.cur = cur
            if not quiet:
                obs.path_start(cur)
            print_state = True

    # -- branches ----------------------------------------------------------------------
    def push(self, st: State, target: int, i: int) -> State:
        """push_stack: leave a copy of ``st`` to continue at ``target`` after insn ``i``."""
        if len(self.stack) + 1 > MAX_JMP_SEQ:
            raise Reject(i, f"The sequence of {len(self.stack) + 1} jumps is too complex.",
                         "too_complex")
        other = st.copy()
        other.parent_insn = i
        other.insn = target
        if other.parent is not None:
            other.parent.branches += 1
        self.stack.append((other, target, i))
        self.v.observer.branch_pushed(other, i)
        return other

    def push_state(self, st: State, target: int, i: int) -> None:
        """push_async_cb: queue a state of its own (not a copy of the current one)."""
        if len(self.stack) + 1 > MAX_JMP_SEQ:
            raise Reject(i, f"The sequence of {len(self.stack) + 1} jumps is too complex.",
                         "too_complex")
        st.parent_insn = i
        st.branches = 1
        self.stack.append((st, target, i))
        self.v.observer.branch_pushed(st, i)

    def push_history(self, st: State, flags: int, linked: tuple = ()) -> None:
        """push_jmp_history: record the current step (merged with this insn's entry)."""
        e = self.hist_entry
        if e is not None:
            # copies of the state share its entries (`State.copy`): the merged entry is a
            # new one in the history that holds this one, the copies keep theirs
            lst, at = self.hist_at
            new = [e[0], e[1], e[2] | flags, linked or e[3]]
            if at < len(lst) and lst[at] is e:
                lst[at] = new
            self.hist_entry = new
            return
        e = [st.insn, self.prev_insn, flags, linked]
        h = st.history
        self.hist_at = (h, len(h))
        h.append(e)
        self.hist_entry = e

    def update_branch_counts(self, st: State | None) -> None:
        while st is not None:
            st.branches -= 1
            if st.branches:
                return
            self._maybe_exit_scc(st)
            st = st.parent

    # -- is_state_visited ----------------------------------------------------------------
    def _visit(self, cur: State, i: int) -> bool:
        """True when ``cur`` is pruned at insn ``i``; else it may become a checkpoint."""
        v = self.v
        aux = v.aux
        forced = aux.force_checkpoint[i]
        force = forced or len(cur.history) > _HISTORY_LIMIT
        add = force or (v.jmps - v.prev_jmps >= _MIN_JMPS
                        and v.processed - v.prev_insns >= _MIN_INSNS)
        key = (i, cur.frames[-1].callsite)
        entries = self.explored.get(key)
        if entries:
            # _clean_live_states, inline
            for sl in entries:
                if not sl.branches and not sl.cleaned and not self._incomplete(sl):
                    v.clean_state(sl)
            live = aux.live_before
            id_gen = v.id_gen
            # what the loop below asks of this instruction and of the work done, once
            iter_next = aux.iter_next[i]
            may_goto = v.insns[i].opcode == MAY_GOTO
            calls_callback = aux.calls_callback[i]
            quiet = not force and v.jmps - v.prev_jmps < _LOOP_JMPS and \
                v.processed - v.prev_insns < _LOOP_INSNS
            for sl in reversed(entries[:]):
                loop = False
                if sl.branches:
                    hit = False
                    sframe = sl.frames[-1]
                    if sframe.async_callback and \
                            sframe.async_entry_cnt != cur.frames[-1].async_entry_cnt:
                        pass  # another entry into the async callback: not a loop
                    elif iter_next:
                        if states_equal(sl, cur, live, id_gen, RANGE_WITHIN) and \
                                self._iter_active(cur):
                            loop = hit = True
                    else:
                        if may_goto and \
                                sl.may_goto_depth != cur.may_goto_depth and \
                                states_equal(sl, cur, live, id_gen, RANGE_WITHIN):
                            loop = hit = True
                        elif calls_callback:
                            hit = states_equal(sl, cur, live, id_gen, RANGE_WITHIN)
                        elif (states_maybe_looping(sl, cur)
                              and states_equal(sl, cur, live, id_gen, EXACT)
                              and not _iter_depths_differ(sl, cur)
                              and sl.may_goto_depth == cur.may_goto_depth
                              and sl.callback_unroll_depth == cur.callback_unroll_depth):
                            raise Reject(i, f"infinite loop detected at insn {v.slots[i]}",
                                         "infinite_loop")
                    if not hit:
                        if quiet:
                            add = False
                        # _miss, inline
                        if add:
                            sl.miss_cnt += 1
                        n = 64 if forced and sl.branches > 0 else 3
                        if sl.miss_cnt > sl.hit_cnt * n + n:
                            entries.remove(sl)
                            sl.in_free_list = True
                        continue
                else:
                    loop = self._incomplete(sl)
                    if not states_equal(sl, cur, live, id_gen, RANGE_WITHIN if loop else NOT_EXACT):
                        self._miss(sl, entries, add, i)
                        continue
                # hit
                sl.hit_cnt += 1
                if aux.jmp_point[i]:
                    self.push_history(cur, 0)
                self.propagate_precision(sl, cur)
                if loop:
                    backedge = cur.copy()
                    backedge.equal_state = sl
                    backedge.insn = i
                    self._add_backedge(sl, backedge)
                return True
        if not add:
            return False
        self.total_states += 1
        v.prev_jmps, v.prev_insns = v.jmps, v.processed
        mark_all_imprecise(cur)
        new = cur.copy()
        new.insn = i
        new.branches = 1
        self._maybe_enter_scc(new)
        self.explored.setdefault(key, []).append(new)
        cur.parent = new
        cur.first_insn = i
        cur.dfs_depth = new.dfs_depth + 1
        cur.history = []
        return False

    def _miss(self, sl: State, entries: list[State], add: bool, i: int) -> None:
        if add:
            sl.miss_cnt += 1
        n = 64 if self.v.aux.force_checkpoint[i] and sl.branches > 0 else 3
        if sl.miss_cnt > sl.hit_cnt * n + n:
            entries.remove(sl)
            sl.in_free_list = True

    def _iter_active(self, cur: State) -> bool:
        r1 = cur.regs[1]
        frame = cur.frames[r1.frameno]
        off = r1.off + r1.var.signed_value()
        spi = (-off - 1) // 8
        return frame.spilled(spi).iter_state == _ITER_ACTIVE

    def propagate_precision(self, old: State, cur: State) -> bool:
        """The precise scalars of ``old`` become precise in ``cur``'s checkpoints."""
        bt = precise_of(old)
        obs = self.v.observer
        if obs.detailed:
            for fr in range(old.curframe, -1, -1):
                regs = [f"r{r}" for r in range(10) if bt.is_reg(fr, r)]
                regs += [f"fp{-(s + 1) * 8}" for s in range(64) if bt.is_slot(fr, s)]
                if regs:
                    obs.note(f"frame {fr}: propagating {','.join(regs)}")
        try:
            return self.v.tracker.mark(cur, -1, bt)
        except NotSupported:
            self.v.tracker.mark_all_precise(cur)
            return True

    # -- SCC visits ----------------------------------------------------------------------
    def _callchain(self, st: State) -> tuple | None:
        scc = self.v.aux.scc
        sites: list[int] = []
        frames = st.frames
        last = len(frames) - 1
        for n in range(last + 1):
            at = st.insn if n == last else frames[n + 1].callsite
            c = scc[at]
            if c:
                return (tuple(sites), c)
            if n < last:
                sites.append(at)
            else:
                return None
        return None

    def _checkpoint_chain(self, sl: State) -> tuple | None:
        """`_callchain` of a checkpoint (whose instruction and frames no longer change),
        looked up once."""
        chain = sl.scc_chain
        if chain == ():
            chain = sl.scc_chain = self._callchain(sl)
        return chain

    def _maybe_enter_scc(self, st: State) -> None:
        chain = self._checkpoint_chain(st)
        if chain is None:
            return
        visit = self.scc_visits.get(chain)
        if visit is None:
            visit = self.scc_visits[chain] = _SccVisit()
        if visit.entry is None:
            visit.entry = st

    def _maybe_exit_scc(self, st: State) -> None:
        if not self.scc_visits:
            return
        chain = self._callchain(st)
        if chain is None:
            return
        visit = self.scc_visits.get(chain)
        if visit is None or visit.entry is not st:
            return
        visit.entry = None
        self._propagate_backedges(visit)

    def _add_backedge(self, sl: State, backedge: State) -> None:
        chain = self._checkpoint_chain(sl)
        if chain is None:
            return
        visit = self.scc_visits.get(chain)
        if visit is None:
            return
        visit.backedges.append(backedge)

    def _incomplete(self, st: State) -> bool:
        """A checkpoint's SCC visit has back-edges still to propagate."""
        if not self.scc_visits:
            return False
        chain = self._checkpoint_chain(st)
        if chain is None:
            return False
        visit = self.scc_visits.get(chain)
        return visit is not None and bool(visit.backedges)

    def _propagate_backedges(self, visit: _SccVisit) -> None:
        n = 0
        while True:
            n += 1
            if n > MAX_BACKEDGE_ITERS + 1:
                for b in visit.backedges:
                    self.v.tracker.mark_all_precise(b)
                break
            changed = False
            for b in list(reversed(visit.backedges)):
                assert b.equal_state is not None
                changed |= self.propagate_precision(b.equal_state, b)
            if not changed:
                break
        visit.backedges = []


def _iter_depths_differ(old: State, cur: State) -> bool:
    for fr, frame in enumerate(old.frames):
        for spi, reg in frame.spills.items():
            if frame.stack[spi * 8] != _SLOT_ITER or reg.iter_state != _ITER_ACTIVE:
                continue
            if cur.frames[fr].spilled(spi).iter_depth != reg.iter_depth:
                return True
    return False


__all__ = ["MAX_JMP_SEQ", "MAX_PROCESSED", "Search"]
