"""What an instruction handler sees of the run: the `Session` interface.

The search (`pybpf.verifier.explore`) and the handlers (`alu`, `jumps`, `load_store`, `mem`,
`calls`, `frames`, `kfuncs`, `dynptr`, `kptrs`...) read the program and its facts and report
back through this interface; `pybpf.verifier.engine.Verifier` implements it. Depending on
the interface rather than on the engine keeps the import graph one-way: the engine imports
the handlers, never the reverse.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..isa import Insn, ProgramSpec
    from .analysis import Analysis
    from .btf_ctx import BtfContext
    from .helper_protos import HelperProto
    from .kernel_profile import KernelProfile
    from .observer import Observer
    from .precision import Tracker
    from .program_btf import ProgramBtf
    from .stack_liveness import StackLiveness
    from .state import RT, Frame, MapRef, Reg, State


class Session(Protocol):
    """One verification run, as the instruction handlers use it."""

    program: ProgramSpec
    prog_type: str
    #: the expected attach type (``trace_raw_tp``, ``cgroup_inet4_connect``...) or None
    attach: str | None
    kernel: KernelProfile
    #: the program's BTF (function info, attach target) and, for BTF-typed contexts, the
    #: context's arguments
    btf: ProgramBtf | None
    btf_ctx: BtfContext | None
    func_info: bool
    gpl: bool
    sleepable: bool
    insns: list[Insn]
    #: the indices of the call instructions
    call_sites: list[int]
    #: slot number of each instruction, and slot -> instruction index
    slots: list[int]
    index: dict[int, int]
    #: instruction index of each map-referencing ``lddw`` -> the map
    maprefs: dict[int, MapRef]
    #: the static analyses (prune points, successors, subprograms, live registers...)
    aux: Analysis
    #: instructions processed and jumps taken so far, and at the last checkpoint
    processed: int
    jmps: int
    prev_insns: int
    prev_jmps: int
    id_gen: int
    observer: Observer
    #: precision backtracking (`pybpf.verifier.precision.Tracker`) and the stack liveness
    #: analysis (`pybpf.verifier.stack_liveness.StackLiveness`) of this run
    tracker: Tracker
    stack_liveness: StackLiveness
    #: per instruction: the (type, flags) of the pointer it dereferences (save_aux_ptr_type)
    insn_ptr_types: dict[int, tuple[RT, int]]
    #: each subprogram's BTF argument specs, once prepared (`global_funcs.prepare_args`)
    arg_specs: dict[int, Any]

    # -- ids, branches and the jump history --------------------------------------------
    def new_id(self) -> int:
        """A fresh id (the kernel's ``++env->id_gen``)."""

    def push_branch(self, st: State, target: int, i: int) -> State:
        """A copy of ``st`` resuming at ``target`` (the other side of instruction ``i``),
        queued for the search; returns the copy so the caller can refine it."""

    def push_history(self, st: State, flags: int, linked: tuple = ()) -> None:
        """Record the current instruction in ``st``'s jump history (stack access flags and
        linked registers, for precision backtracking)."""

    # -- precision ------------------------------------------------------------------------
    def mark_precise(self, st: State, regno: int) -> None:
        """mark_chain_precision: R``regno``'s exact value matters from here back."""

    def mark_stack_precise(self, st: State, frameno: int, spi: int) -> None:
        """The same for a spilled scalar in stack slot ``spi`` of frame ``frameno``."""

    # -- facts ------------------------------------------------------------------------------
    def helper_proto(self, num: int) -> HelperProto:
        """The prototype of helper ``num`` for this program type."""

    def in_sleepable(self, st: State) -> bool:
        """Whether the code ``st`` runs may sleep (a sleepable program, not in a callback
        that may not)."""

    def in_rcu_cs(self, st: State) -> bool:
        """in_rcu_cs: inside bpf_rcu_read_lock(), a spin lock, or a non-sleepable program."""

    def kfunc_name(self, btf_id: int) -> str:
        """The name of the kfunc of BTF id ``btf_id``."""

    # -- subprograms ------------------------------------------------------------------------
    def is_global(self, start: int) -> bool:
        """Whether the subprogram starting at ``start`` is a global function."""

    def subprog_name(self, start: int) -> str: ...

    def subprog_number(self, start: int) -> int: ...

    def might_sleep(self, start: int) -> bool: ...

    def changes_pkt_data(self, start: int) -> bool: ...

    def check_subprog_args(self, start: int, regs: list[Reg], st: State) -> list[str]:
        """btf_check_subprog_call: why ``regs`` do not fit the subprogram's BTF prototype
        ([] when they do)."""

    def mark_global_called(self, start: int) -> None:
        """Verify the global function ``start`` on its own, after the main program."""

    def push_async_callback(self, st: State, i: int, subprog: int, helper: str) -> None:
        """Queue an async callback (a timer's, a workqueue's) as a run of its own."""

    def set_frame_chain(self, st: State, frame: Frame) -> None:
        """Give ``frame`` its call chain for the stack liveness analysis."""

    # -- loops --------------------------------------------------------------------------------
    def find_prev_entry(self, cur: State | None, insn: int) -> State | None:
        """The nearest checkpoint at ``insn`` on the path of ``cur`` (a loop's previous
        iteration)."""

    def widen_imprecise(self, old: State, cur: State) -> None:
        """widen_imprecise_scalars: ``cur``'s scalars that changed since ``old`` and are not
        precise become unknown."""

    # -- stack liveness ---------------------------------------------------------------------
    def stack_read_mark(self, frameno: int, mask: int) -> None:
        """The stack slots in ``mask`` (bit = slot) of frame ``frameno`` are read here."""

    def stack_write_mark(self, frameno: int, mask: int) -> None:
        """... and written here."""

    def update_live_stack(self, st: State) -> None:
        """Propagate the stack liveness of ``st``'s frames (at an exit or a checkpoint)."""

    def clean_state(self, sl: State) -> None:
        """clean_verifier_state: a finished checkpoint forgets what no path reads."""

    def id_before_spill(self, st: State, regno: int) -> None:
        """Give a scalar an id before it is spilled (so a fill links to the register)."""

    def note_depth(self, st: State) -> None:
        """Remember how deep each frame of ``st`` has used its stack."""



__all__ = ["Session"]
