"""The verifier: one run over a program, like the kernel's ``bpf_check``.

`verify(program, prog_type)` returns a `Report`. A `Verifier` sets the run up (the static
checks of `pybpf.verifier.cfg`, the analyses of `pybpf.verifier.analysis`, map references,
the entry state), lets `pybpf.verifier.explore.Search` explore every path of the main
program and then of each global function it calls, checks the combined stack depth of the
call chains at the end, and turns a `Reject` into the `Report`. The kernel verifier's
sections each have their module: `explore` (exploration and pruning), `alu`, `jumps`,
`load_store` and `mem` (memory), `calls` (helpers), `frames` (subprograms and callbacks),
`refs` (references) and `kfuncs`; the log is an `Observer`
(`log.LogObserver`). The `Verifier` is the `Session` the handlers see.

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

from ..errors import UsageError
from ..isa import CALL, LDDW, CallSrc, ProgramSpec, PseudoSrc, helper_id
from ..isa.generated.helpers_table import HELPERS
from . import bounds, explore, kernel_profile, kfuncs
from .alu import id_before_mov
from .analysis import CallInfo
from .btf_types import type_name
from .calls import SYNC_CALLBACK_HELPERS, is_gpl
from .explore import Search
from .facts import facts_of
from .fastforward import FastForward
from .frames import _callback_args
from .global_funcs import check_call_args, entry_state
from .helper_protos import HelperProto, proto_for
from .kernel_profile import KernelProfile
from .log import LogObserver
from .maprefs import map_refs
from .observer import Observer
from .prechecks import CHECKED_BEFORE_RUN, MAX_INSNS, map_report, size_report
from .precision import Backtrack, NotSupported, Tracker
from .program_btf import ProgramBtf
from .prune import IdMap, regs_exact
from .report import Reject, Report, explain, insn_text
from .stack_liveness import StackLiveness
from .state import MAX_CALL_FRAMES, RT, Frame, MapRef, Reg, State

_TAIL_CALL = helper_id("tail_call")
MAX_COMBINED_STACK = 512
_SLEEPABLE_TYPES = {"syscall"}
#: is_tracing_prog_type: the older tracing types, which may not use some map fields
_TRACING_PROG_TYPES = frozenset({"kprobe", "tracepoint", "perf_event", "raw_tracepoint",
                                 "raw_tracepoint_writable"})
_SLEEPABLE_MAPS = frozenset({"hash", "lru_hash", "array", "percpu_hash", "percpu_array",
                             "lru_percpu_hash", "array_of_maps", "hash_of_maps", "ringbuf",
                             "user_ringbuf", "inode_storage", "sk_storage", "task_storage",
                             "cgrp_storage", "queue", "stack", "arena"})
_TRACING_FAMILY = {"tracing", "lsm", "ext", "struct_ops"}
_NO_KINDS: frozenset[str] = frozenset()
#: the entry state's R1 and R10 (registers are values: one of each is shared)
_CTX_REG = Reg.ptr(RT.PTR_TO_CTX)
_HELPER_SRC, _LOCAL_SRC, _KFUNC_SRC = int(CallSrc.HELPER), int(CallSrc.LOCAL), int(CallSrc.KFUNC)
_SUBPROG_CALL = CallInfo("subprog")
#: (helper, family) -> (its prototype, the `CallInfo` made from it): what the helper table and
#: the prototype say, the same for every program (a value; remade if the prototype changes)
_HELPER_INFOS: dict[tuple[int, str], tuple[HelperProto, CallInfo]] = {}
_FP0_REG = Reg.ptr(RT.PTR_TO_STACK, frameno=0)


class Verifier:
    """One verification run; use `verify`."""

    def __init__(self, program: ProgramSpec, prog_type: str, *, maps: Mapping[str, Any] | None = None,
                 expected_attach_type: str | None = None, log: bool = False,
                 func_info: bool = False, kernel: KernelProfile | None = None,
                 observer: Observer | None = None, btf: ProgramBtf | None = None,
                 sleepable: bool = False, fast_forward: bool = False) -> None:
        self.program = program
        #: jumps periodic loops toward the instruction limit (`pybpf.verifier.fastforward`)
        self.fast_forward = FastForward() if fast_forward else None
        self.kernel = kernel if kernel is not None else kernel_profile.default()
        self.btf = btf
        self.func_info = func_info or bool(btf is not None and btf.funcs)
        self.observer: Observer = observer if observer is not None else \
            LogObserver() if log else Observer()
        self.prog_type = prog_type
        self.attach = expected_attach_type
        self.sleepable = sleepable or prog_type in _SLEEPABLE_TYPES
        self.gpl = is_gpl(program.license) if program.license else True
        #: what the instructions alone tell (`pybpf.verifier.facts`, kept per program)
        self.facts = facts = facts_of(program)
        self.insns = facts.insns
        #: the indices of the call instructions (helpers, kfuncs, subprograms)
        self.call_sites = facts.call_sites
        self.maprefs = self._map_refs(maps)
        self.processed = 0
        self.jmps = 0
        self.prev_jmps = self.prev_insns = 0
        self.id_gen = 0
        self.max_depth: dict[int, int] = {}  # subprogram start -> deepest stack use seen
        self.search = Search(self)
        self.slots: list[int] = []
        self.index: dict[int, int] = {}
        self.family = "tracing" if prog_type in _TRACING_FAMILY else prog_type
        self.btf_ctx: Any = None
        self._global_called: list[int] = []
        self._globals_done: set[int] = set()
        #: subprograms run as async callbacks (timers)
        self.async_cbs: set[int] = set()
        #: instruction -> the kind of pointer it dereferences (save_aux_ptr_type)
        self.insn_ptr_types: dict[int, tuple[RT, int]] = {}
        #: each subprogram's BTF argument specs (global_funcs.prepare_args), or why none
        self.arg_specs: dict[int, Any] = {}
        self._protos: dict[int, HelperProto] = {}

    # -- setup ------------------------------------------------------------------------
    def _map_refs(self, maps: Mapping[str, Any] | None) -> dict[int, MapRef]:
        return map_refs(self.program, maps, self.btf.btf if self.btf else None)

    def _call_infos(self) -> dict[int, CallInfo]:
        out: dict[int, CallInfo] = {}
        insns = self.insns
        for i in self.call_sites:
            insn = insns[i]
            src = insn.src
            if src == _HELPER_SRC:
                num = insn.imm
                entry = HELPERS.get(num)
                if entry is None:
                    continue
                try:
                    proto = self.helper_proto(num)
                except KeyError:  # no such helper (0 is BPF_FUNC_unspec): refused at the call
                    continue
                info = _HELPER_INFOS.get((num, self.family))
                if info is None or info[0] is not proto:
                    name = entry[0]
                    nargs = len(proto.args) if proto.known else \
                        (_nargs(entry[1]) if entry[1] else None)
                    info = _HELPER_INFOS[(num, self.family)] = (proto, CallInfo(
                        "helper", name, nargs, sync_callback=name in SYNC_CALLBACK_HELPERS,
                        async_callback=name == "timer_set_callback"))
                out[i] = info[1]
            elif src == _LOCAL_SRC:
                out[i] = _SUBPROG_CALL
            elif src == _KFUNC_SRC:
                info_k = kfuncs.call_info(self, insn, i)
                if info_k is not None:
                    out[i] = info_k
        return out

    def initial_state(self) -> State:
        st = State()
        regs = st.frames[0].regs
        regs[1] = _CTX_REG
        regs[10] = _FP0_REG
        st.in_sleepable = self.sleepable
        self.set_frame_chain(st, st.frames[0])
        return st

    # -- the Session interface -----------------------------------------------------------
    def new_id(self) -> int:
        self.id_gen += 1
        return self.id_gen

    def push_branch(self, st: State, target: int, i: int) -> State:
        return self.search.push(st, target, i)

    def push_history(self, st: State, flags: int, linked: tuple = ()) -> None:
        self.search.push_history(st, flags, linked)

    def mark_precise(self, st: State, regno: int) -> None:
        try:
            self.tracker.mark(st, regno)
        except NotSupported:
            self.tracker.mark_all_precise(st)

    def mark_stack_precise(self, st: State, frameno: int, spi: int) -> None:
        bt = Backtrack(st.curframe)
        bt.set_slot(frameno, spi)
        try:
            self.tracker.mark(st, -1, bt)
        except NotSupported:
            self.tracker.mark_all_precise(st)

    def note_depth(self, st: State) -> None:
        """Remember how deep each frame of ``st`` has used its stack (for the total check)."""
        md = self.max_depth
        for f in st.frames:
            d = f.stack_depth
            if d > md.get(f.subprog, 0):
                md[f.subprog] = d

    def helper_proto(self, num: int) -> HelperProto:
        p = self._protos.get(num)
        if p is None:
            p = self._protos[num] = proto_for(num, self.family)
        return p

    def in_sleepable(self, st: State) -> bool:
        return st.in_sleepable

    def in_rcu_cs(self, st: State) -> bool:
        return st.active_rcu or bool(st.active_locks) or not st.in_sleepable

    # stack liveness -----------------------------------------------------------------------
    def set_frame_chain(self, st: State, frame: Frame) -> None:
        """Give ``frame`` (the first of ``st``, or the one about to be pushed on it) its call
        chain for the stack liveness analysis: the call sites above it and its start."""
        frames = st.frames
        if not frames or frame is frames[0]:
            frame.chain = (frame.subprog,)
            frame.starts = (frame.subprog,)
            return
        frame.chain = tuple(f.callsite for f in frames[1:]) + (frame.callsite, frame.subprog)
        frame.starts = tuple(f.subprog for f in frames) + (frame.subprog,)

    def chain_of(self, st: State, n: int) -> tuple[int, ...]:
        return st.frames[n].chain

    def starts_of(self, st: State, n: int) -> tuple[int, ...]:
        return st.frames[n].starts

    def stack_read_mark(self, frameno: int, mask: int) -> None:
        st = self.search.cur
        assert st is not None
        f = st.frames[-1]
        self.stack_liveness.mark_read(f.chain, frameno, st.insn, mask, f.starts)

    def stack_write_mark(self, frameno: int, mask: int) -> None:
        self.stack_liveness.mark_write(frameno, mask)

    def update_live_stack(self, st: State) -> None:
        """bpf_update_live_stack for ``st``'s frames, innermost first (a frame's instance is
        brought up to date only when it changed: as `StackLiveness.update` does)."""
        live = self.stack_liveness
        instances = live.instances
        for f in reversed(st.frames):
            inst = instances.get(f.chain)
            if inst is None or inst.updated:
                live.update(((f.chain, f.starts),))

    def clean_state(self, sl: State) -> None:
        """clean_verifier_state: a finished checkpoint forgets what no path reads any more."""
        sl.cleaned = True
        live = self.aux.live_before
        chains = tuple(f.chain for f in sl.frames)
        frames = sl.frames
        last = len(frames) - 1
        nr = Reg.not_init()
        for n, frame in enumerate(frames):
            at = sl.insn if n == last else frames[n + 1].callsite
            lv = live[at]
            regs = frame.regs
            for r in range(10):
                if not lv >> r & 1 and regs[r].type is not RT.NOT_INIT:
                    regs[r] = nr
            stack = frame.stack
            for spi in range(frame.allocated // 8):
                if not self.stack_liveness.slot_alive_at(chains, sl.insn, frame.frameno, spi):
                    frame.spills.pop(spi, None)
                    base = spi * 8
                    stack[base:base + 8] = bytes(8)

    def id_before_spill(self, st: State, regno: int) -> None:
        id_before_mov(self, st, regno)

    def find_prev_entry(self, cur: State | None, insn: int) -> State | None:
        """find_prev_entry: the nearest checkpoint at ``insn`` still on the path of ``cur`` (a
        loop's previous iteration), with the same call sites."""
        if cur is None:
            return None
        key = (insn, cur.frames[-1].callsite)
        for sl in reversed(self.search.explored.get(key, ())):
            if sl.branches and len(sl.frames) == len(cur.frames) and \
                    all(a.callsite == b.callsite for a, b in zip(sl.frames, cur.frames, strict=True)) \
                    and sl.dfs_depth < cur.dfs_depth:
                return sl
        return None

    def widen_imprecise(self, old: State, cur: State) -> None:
        """widen_imprecise_scalars: scalars that changed and are not precise become unknown."""
        idmap = IdMap(self.id_gen)
        for fo, fc in zip(old.frames, cur.frames, strict=False):
            for r in range(11):
                a, b = fo.regs[r], fc.regs[r]
                if a.type is RT.SCALAR and b.type is RT.SCALAR and not (a.precise or b.precise) \
                        and not regs_exact(a, b, idmap):
                    fc.regs[r] = Reg.scalar()
            for spi, a in fo.spills.items():
                if not fo.is_spilled(spi) or not fc.is_spilled(spi):
                    continue
                c = fc.spills.get(spi)
                if c is not None and a.type is RT.SCALAR and c.type is RT.SCALAR and \
                        not (a.precise or c.precise) and not regs_exact(a, c, idmap):
                    fc.spills[spi] = Reg.scalar()

    # subprograms ------------------------------------------------------------------------
    def is_global(self, start: int) -> bool:
        return start != 0 and self.btf is not None and self.btf.is_global(start)

    def subprog_name(self, start: int) -> str:
        return self.btf.name(start) if self.btf is not None else ""

    def subprog_number(self, start: int) -> int:
        return self.aux.subprog_starts.index(start)

    def might_sleep(self, start: int) -> bool:
        return False

    def changes_pkt_data(self, start: int) -> bool:
        return False

    def mark_global_called(self, start: int) -> None:
        if start not in self._global_called:
            self._global_called.append(start)

    def check_subprog_args(self, start: int, regs: list[Reg], st: State) -> list[str]:
        """btf_check_subprog_call: the caller's registers against the callee's BTF
        prototype; the kernel's log lines when they do not match (empty when they do)."""
        if self.btf is None or not self.btf.funcs:
            return []
        return check_call_args(self, start, regs, st)

    def push_async_callback(self, st: State, i: int, subprog: int, helper: str) -> None:
        """push_async_cb: the callback is verified later as a program of its own (frame 0)."""
        cb = State()
        cb.frames = []
        frame = Frame(frameno=0, callsite=-1, subprog=subprog)
        frame.regs[10] = Reg.ptr(RT.PTR_TO_STACK, frameno=0)
        _callback_args(self, st.frame, frame, helper)
        frame.async_entry_cnt = st.frame.async_entry_cnt + 1
        cb.frames = [frame]
        self.set_frame_chain(cb, frame)
        cb.insn = subprog
        cb.in_sleepable = False
        self.async_cbs.add(subprog)
        self.search.push_state(cb, subprog, i)

    def kfunc_name(self, btf_id: int) -> str:
        return type_name(None, btf_id)

    # -- driver -------------------------------------------------------------------------
    def run(self) -> Report:
        tables: list | None = None  # the facts' backtracking tables, once the tracker is made
        try:
            target = self.btf.attach_name.removeprefix("bpf_iter_") if self.btf else ""
            refused = self.kernel.load_refusal(self.prog_type, self.attach, target)
            if refused is not None:
                raise Reject(None, refused, "kernel_refused")
            facts = self.facts
            if facts.kfunc_sites:
                kfuncs.check_program(self)
            cfg = facts.cfg(self.kernel)
            self.slots, self.index, self.subprogs = cfg.slots, cfg.at_slot, cfg.subprogs
            self._check_map_compat()
            self.observer.setup(self.slots)
            an = facts.analysis(cfg, self.kernel, self.prog_type, self.attach, self.program,
                                self._call_infos)
            self.aux = aux = an.aux
            calls_cb = aux.calls_callback
            self.stack_liveness = StackLiveness(aux.postorder_of, aux.succ.__getitem__,
                                                calls_cb.__getitem__, an.sizes, cfg.forward)
            made = an.tracker_tables
            self.tracker = Tracker(self.insns, self._callee_of, self.is_global,
                                   calls_cb.__getitem__, calls_cb.__getitem__,
                                   self.observer.note if self.observer.detailed else None,
                                   made[0] if made else None)
            tables = made
            self.prune_points = self.aux.prune
            self.live = self.aux.live_before
            if self.prog_type in _TRACING_FAMILY or self.prog_type == "raw_tracepoint" and \
                    self.btf is not None and self.btf.attach_btf_id:
                from .btf_ctx import BtfContext

                self.btf_ctx = BtfContext.for_program(self)
            if not self.kernel.has_feature("global_funcs_lazy"):
                self._verify_globals_first()
            self.search.run(self.initial_state())
            self._verify_globals()
            self._check_stack_depth()
        except Reject as rej:
            report = self._report(rej)
        else:
            report = Report(True, self.processed, program=self.program.name)
        if tables is not None and not tables and "fast" in self.tracker.__dict__:
            tables.append((self.tracker.decoded, self.tracker.fast))  # (made by this run)
        self.observer.finished(report, self.processed, explore.MAX_PROCESSED)
        return report

    def _check_map_compat(self) -> None:
        """check_map_prog_compatibility, for each map in the order the program names them."""
        tracing = self.prog_type in _TRACING_PROG_TYPES
        by_fields = tracing or self.prog_type == "socket_filter"
        if not (by_fields or self.sleepable) or not self.maprefs:
            return  # (nothing below refuses another program's maps)
        seen: set[int] = set()
        sleepable = self.sleepable
        for i in sorted(self.maprefs):
            m = self.maprefs[i]
            if m.uid in seen or not (m.fields or sleepable):
                continue
            seen.add(m.uid)
            kinds = {k for k, _ in m.fields} if by_fields else _NO_KINDS
            if kinds & {"list_head", "rb_root"} and tracing:
                raise Reject(None, "tracing progs cannot use bpf_{list_head,rb_root} yet",
                             "helper_not_allowed")
            if kinds & {"spin_lock", "res_spin_lock"}:
                if self.prog_type == "socket_filter":
                    raise Reject(None, "socket filter progs cannot use bpf_spin_lock yet",
                                 "helper_not_allowed")
                if tracing:
                    raise Reject(None, "tracing progs cannot use bpf_spin_lock yet",
                                 "helper_not_allowed")
            if "timer" in kinds and tracing:
                raise Reject(None, "tracing progs cannot use bpf_timer yet", "helper_not_allowed")
            if "wq" in kinds and tracing:
                raise Reject(None, "tracing progs cannot use bpf_wq yet", "helper_not_allowed")
            if self.sleepable and m.type not in _SLEEPABLE_MAPS:
                raise Reject(None, "Sleepable programs can only use array, hash, ringbuf and "
                             "local storage maps", "helper_not_allowed")

    def _callee_of(self, i: int) -> int | None:
        insn = self.insns[i]
        return self.index.get(self.slots[i] + 1 + insn.imm)

    def _verify_globals(self) -> None:
        """do_check_subprogs: each global function called from the main program (and from
        each other) is verified on its own, from its BTF prototype."""
        done = self._globals_done
        while True:
            todo = [s for s in self._global_called if s not in done]
            if not todo:
                return
            for start in sorted(todo):
                done.add(start)
                self.search = Search(self)
                self.search.run(entry_state(self, start))

    def _verify_globals_first(self) -> None:
        """do_check_subprogs of kernels before 6.8 (no ``global_funcs_lazy``): every global
        function is verified before the program, called or not; a prototype the kernel cannot
        use is refused there, after its ``Validating f() func#N...`` line."""
        for start in self.aux.subprog_starts[1:]:
            if not self.is_global(start):
                continue
            self._globals_done.add(start)
            self.search = Search(self)
            try:
                st = entry_state(self, start)
            except Reject as rej:
                assert self.btf is not None  # is_global: the program has BTF
                name = self.btf.btf[self.btf.funcs[start]].name
                rej.lines = [f"Validating {name}() func#{self.subprog_number(start)}...", *rej.lines]
                raise
            self.search.run(st)
        self.search = Search(self)

    def _check_stack_depth(self) -> None:
        """The kernel's check_max_stack_depth: along every call chain from the main program
        (and from each async callback), the frames' stack depths, each rounded up to 16 bytes
        as for the JIT, add up to at most 512; tracing programs give a subprogram using 64
        bytes or more a private stack of its own."""
        starts = self.aux.subprog_starts
        if not self.facts.func_refs and (self.max_depth.get(0, 0) + 15) // 16 * 16 \
                <= MAX_COMBINED_STACK:
            return  # one function, calling none, within the limit
        n = len(self.insns)
        tail = {s: False for s in starts}
        for i in self.call_sites:
            insn = self.insns[i]
            if insn.src == CallSrc.HELPER and insn.imm == _TAIL_CALL:
                tail[starts[self.aux.subprog_of[i]]] = True
        mode = "none" if any(tail.values()) else self._priv_stack_mode()
        priv: dict[int, str] = {s: "unknown" for s in starts}
        for k in range(len(starts) - 1, -1, -1):
            s = starts[k]
            if k == 0 or s in self.async_cbs:
                self._walk_stack(k, k == 0 and mode == "adaptive", priv, tail, n)

    def _priv_stack_mode(self) -> str:
        """bpf_enable_priv_stack: for the program types it names, as measured per type
        (``private_stack_<type>``; a profile without them: the tracepoint probe's answer)."""
        measured = self.kernel.has_feature("private_stack")
        if self.prog_type in ("kprobe", "tracepoint", "perf_event", "raw_tracepoint"):
            on = self.kernel.has_feature(f"private_stack_{self.prog_type}", measured)
            return "adaptive" if on else "none"
        if not measured:
            return "none"  # bpf_jit_supports_private_stack() is false in this kernel build
        if self.prog_type == "tracing":
            return "adaptive" if self.attach != "trace_iter" else "none"
        return "none"

    def _walk_stack(self, idx: int, supported: bool, priv: dict[int, str],
                    tail: dict[int, bool], n: int) -> None:
        starts = self.aux.subprog_starts
        depths = self.max_depth
        insns = self.insns
        depth = frame = 0
        ret_insn: list[int] = []
        ret_prog: list[int] = []
        i = starts[idx]
        if not supported:
            priv[starts[idx]] = "none"
        entering = True
        while True:
            s = starts[idx]
            if entering:
                sd = (depths.get(s, 0) + 15) // 16 * 16
                if supported and priv[s] == "unknown" and sd >= 64:
                    priv[s] = "adaptive"
                if priv[s] == "adaptive":
                    if sd > MAX_COMBINED_STACK:
                        raise Reject(None, f"stack size of subprog {idx} is {sd}. Too large",
                                     "call_depth")
                else:
                    depth += sd
                    if depth > MAX_COMBINED_STACK:
                        raise Reject(None, f"combined stack size of {frame + 1} calls is {depth}."
                                     " Too large", "call_depth")
            end = starts[idx + 1] if idx + 1 < len(starts) else n
            called = False
            while i < end:
                insn = insns[i]
                pseudo_call = insn.opcode == CALL and insn.src == CallSrc.LOCAL
                pseudo_func = insn.opcode == LDDW and insn.src == PseudoSrc.FUNC
                if not (pseudo_call or pseudo_func):
                    i += 1
                    continue
                callee = self.index[self.slots[i] + 1 + insn.imm]
                if callee in self.async_cbs and not pseudo_call:
                    i += 1
                    continue
                ret_insn.append(i + 1)
                ret_prog.append(idx)
                idx = starts.index(callee)
                i = callee
                if not supported:
                    priv[callee] = "none"
                frame += 1
                if frame >= MAX_CALL_FRAMES:
                    raise Reject(None, f"the call stack of {frame} frames is too deep !",
                                 "call_depth")
                called = True
                break
            if called:
                entering = True
                continue
            if frame == 0:
                return
            if priv[starts[idx]] != "adaptive":
                depth -= (depths.get(starts[idx], 0) + 15) // 16 * 16
            frame -= 1
            i = ret_insn.pop()
            idx = ret_prog.pop()
            entering = False

    def _report(self, rej: Reject) -> Report:
        """The `Report` of ``rej``; its texts (`pybpf.verifier.report.LAZY_FIELDS`) are made
        when first read, from what the run holds now."""
        insn_slot = self.slots[rej.insn] if (rej.insn is not None and self.slots) else rej.insn
        lines = self.program.lines
        report = Report(False, self.processed, insn=insn_slot, message="\n".join(rej.lines),
                        error_class=rej.cls, program=self.program.name,
                        source=lines.get(rej.insn) if rej.insn is not None else None)
        insn = ref = reg = None
        if rej.insn is not None and 0 <= rej.insn < len(self.insns):
            insn, ref = self.insns[rej.insn], self.program.refs.get(rej.insn)
        at = -1
        last = self.search.last_state
        if last is not None and rej.reg is not None and 0 <= rej.reg <= 10:
            reg = last.regs[rej.reg]
            at = last.frame.origins[rej.reg]
        origin = None
        if at >= 0 and at != rej.insn:
            origin = (self.insns[at], self.slots[at], lines.get(at))
        # (the maker holds no `Reject`: its traceback would keep the run's frames alive)
        why = (rej.cls, rej.reg, rej.type_label, rej.insn, rej.detail)
        report.defer(lambda: _details(why, insn, ref, reg, origin))
        return report

def _details(why: tuple, insn: Any, ref: Any, reg: Reg | None,
             origin: tuple[Any, int, Any] | None) -> dict[str, Any]:
    """A rejection's texts (`pybpf.verifier.report.LAZY_FIELDS`): ``why`` the rejection's
    class, register, type label, instruction and detail (`pybpf.verifier.report.explain`),
    ``insn`` and ``ref`` the rejected instruction and its reference (``insn`` None: none),
    ``reg`` the value of the register it names, ``origin`` the instruction that set that
    register, its slot and its source line."""
    expl, hint = explain(*why)
    regno = why[1]
    registers = {}
    if reg is not None:
        registers[f"R{regno}"] = reg.fmt()
    origin_text = None
    if origin is not None:
        at_insn, at_slot, line = origin
        # 'R0 was set at insn 5 (call bpf_map_lookup_elem#1), line 12: ...'
        text = insn_text(at_insn, None, "kernel") or ""
        origin_text = f"R{regno} was set at insn {at_slot}" + (f": {text}" if text else "")
        if line is not None:
            where = f"{line.filename}:{line.line}" if line.filename else f"line {line.line}"
            origin_text += f", {where}: {line.text.strip()}"
    return {"insn_text": insn_text(insn, ref) if insn is not None else None,
            "explanation": expl, "hint": hint, "registers": registers, "origin": origin_text}


def _nargs(sig: str) -> int:
    inner = sig[sig.index("(") + 1:sig.rindex(")")].strip()
    if inner in ("", "void"):
        return 0
    return len([a for a in inner.split(",") if a.strip() != "..."])


def verify(program: ProgramSpec, prog_type: str | None = None, *, maps: Mapping[str, Any] | None = None,
           expected_attach_type: str | None = None, log: bool = False,
           func_info: bool = False, kernel: KernelProfile | None = None,
           observer: Observer | None = None, btf: ProgramBtf | None = None,
           sleepable: bool = False) -> Report:
    """Verify ``program`` as a ``prog_type`` program (default: ``program.prog_type``).

    ``maps`` gives map definitions by name (kernel `Map` objects or `MapSpec`s) for
    references the program does not declare itself. With ``log=True`` the report's
    ``log`` holds a state log in the layout of the kernel's log_level 2.
    ``func_info`` says the program will be loaded with BTF function info (objects
    compiled with ``-g``), which callbacks such as bpf_loop's require; ``btf`` (a
    `ProgramBtf`) gives that function info itself (global functions are then verified on
    their own) and, for BTF-typed tracing programs, the attach target. ``kernel`` is the
    `KernelProfile` whose helper availability applies (default: the running kernel's when it
    was measured here, see `pybpf.verifier.kernel_profile.default`). ``observer`` (an
    `Observer`) is told every step of the search (``log=True`` uses a `LogObserver`).
    ``sleepable`` is the BPF_F_SLEEPABLE load flag.
    """
    ptype = prog_type or program.prog_type
    if ptype is None:
        raise UsageError("verify: give prog_type (e.g. 'socket_filter', 'xdp')")
    if not program.insns:
        return Report(False, 0, message="empty program", error_class="missing_exit",
                      explanation="the program has no instructions", hint="add `r0 = 0; exit`")
    if 2 * len(program.insns) > MAX_INSNS:  # (fewer can not be too many slots)
        too_large = size_report(sum(2 if i.opcode == LDDW else 1 for i in program.insns),
                                program.name)
        if too_large is not None:
            return too_large
    bad_map = map_report(program, maps)
    if bad_map is not None:
        return bad_map
    # a run with its own observer or log is followed step by step, never fast-forwarded
    fast = observer is None and not log
    prof = kernel if kernel is not None else kernel_profile.default()
    bounds.forget()
    while True:
        # the maps' kptr targets are looked up in the judged kernel's BTF (their type ids
        # differ per kernel: 6.18's id of task_struct is another type in 6.12's)
        with kernel_profile.using(prof):
            try:
                v = Verifier(program, ptype, maps=maps, expected_attach_type=expected_attach_type,
                             log=log, func_info=func_info, kernel=prof, observer=observer,
                             btf=btf, sleepable=sleepable, fast_forward=fast)
            except Reject as rej:
                expl, hint = rej.fill()
                report = Report(False, 0, insn=rej.insn, message="\n".join(rej.lines),
                                error_class=rej.cls, explanation=expl, hint=hint,
                                program=program.name)
                return _in_kernel_wording(report, prof)
            report = v.run()
        done = v.fast_forward is None or not v.fast_forward.jumped or _too_large(report)
        # the run refers to itself (its search and its tracker to it): dropping what it holds
        # frees it now, instead of leaving it to the cyclic garbage collector
        v.__dict__.clear()
        if done:
            return _in_kernel_wording(report, prof)
        fast = False  # the jump was not confirmed by the limit: verify step by step


def _too_large(report: Report) -> bool:
    """A complexity-limit rejection (what a fast-forward predicts): the instruction limit, or
    the limit of pending branches (``push_stack``: ``env->stack_size >
    BPF_COMPLEXITY_LIMIT_JMP_SEQ``) that a loop pushing a branch each iteration reaches."""
    msg = report.message or ""
    return not report.accepted and (msg.startswith("BPF program is too large.") or (
        msg.startswith("The sequence of ") and msg.endswith(" jumps is too complex.")))


def _in_kernel_wording(report: Report, kernel: KernelProfile) -> Report:
    """The report's message as ``kernel`` words it (its profile's rewordings)."""
    if kernel.rewordings and report.message:
        worded = kernel.reword(report.message, report.insn_text)
        if worded != report.message:
            if report.log:
                report.log = report.log.replace(report.message, worded)
            report.message = worded
    return report


__all__ = ["CHECKED_BEFORE_RUN", "Verifier", "map_report", "size_report", "verify"]
