"""The VM: registers, stack frames, the dispatch loop and the trace API.

`VM.run` executes a `ProgramSpec` (or raw bytecode, or a list of `Insn`) and
returns a `RunResult`. The conventions match the kernel's ``BPF_PROG_TEST_RUN``
and the bpf_conformance runtimes:

- ``mem=``: r1 points at a writable region named ``"mem"`` and r2 holds its
  length (the bpf_conformance convention);
- ``ctx=``: r1 points at a region named ``"context"`` (read-only unless
  ``ctx_writable=True``);
- ``packet=``: the data the legacy ``LD_ABS``/``LD_IND`` loads read (defaults to
  ``mem``/``ctx``); an out-of-bounds legacy load ends the program with r0 = 0,
  as in the kernel; with ``prog_type="xdp"``/``"sched_cls"`` r1 is an
  ``xdp_md``/``__sk_buff`` the VM builds over the packet (`pybpf.vm.contexts`);
- r10 is the top of a fresh 512-byte ``"stack frame 0"``; bpf-to-bpf calls get
  their own frame (at most 8 frames), r6-r9 and r10 are restored on return;
- ``may_goto`` falls through while a per-frame budget (8M, the kernel's
  ``BPF_MAX_LOOPS``) lasts, then jumps;
- tail calls through a ``prog_array`` map, at most 33 in a run.

Tracing: ``trace=callback`` calls ``callback(step)`` after every instruction
with a `TraceStep` (pc, instruction text, registers after it, memory it
changed, call depth, what each register points at). Without a callback the
hot loop is ``pc = table[pc]()``, over fused basic blocks once a program is hot
(`pybpf.vm.blocks`).

>>> from pybpf.isa import Insn, ProgramSpec
>>> prog = ProgramSpec([Insn(0x61, dst=0, src=1), Insn(0x95)])  # r0 = *(u32 *)(r1 + 0)
>>> VM().run(prog, mem=bytes([1, 0, 0, 0])).r0
1
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ..errors import VMFault
from ..isa import FRAME_POINTER, NUM_REGS, STACK_SIZE, Insn, ProgramSpec, decode_all, helper_name
from ..uapi import MAP_TYPES, type_name
from . import helpers as _helpers
from .blocks import build_blocks
from .compile import Abort, Compiled, Exit, Handler, Reenter, Switch, compile_program
from .contexts import CONTEXT_TYPES, ETH_HLEN, L3_TYPES, build_context, prog_type_ctx_name
from .image import MemoryImage
from .maps import ArrayMap, ProgArrayMap, VMMap, make_map
from .memory import BASE_ADDRESS, Memory, Region

M64 = (1 << 64) - 1
#: The kernel's limits: call frames (MAX_CALL_FRAMES), tail calls (MAX_TAIL_CALL_CNT),
#: may_goto budget per frame (BPF_MAX_LOOPS).
MAX_CALL_FRAMES = 8
MAX_TAIL_CALLS = 33
MAX_LOOPS = 8 * 1024 * 1024
#: Instructions a program runs per-instruction before its fused blocks are generated.
HOT = 5000
#: Default cap on executed instructions, so a runaway program cannot hang the caller.
DEFAULT_MAX_INSNS = 50_000_000


#: what a stale pointer into a returned call's frame faults with
RETURNED = "the function that owned this stack frame returned"
#: the stack region of the call frame at each depth (0: the program's own)
FRAME_NAMES = [f"stack frame {n}" for n in range(MAX_CALL_FRAMES)]


@dataclass
class Task:
    """The fake current task the ``get_current_*`` helpers report."""

    pid: int = 4242
    tgid: int = 4242
    uid: int = 1000
    gid: int = 1000
    comm: str = "pybpf-vm"
    ppid: int = 1

    @classmethod
    def current(cls) -> Task:
        """This process's own ids and name (so a VM run sees what the kernel would).

        >>> import os
        >>> Task.current().tgid == os.getpid()
        True
        """
        import os
        import threading

        try:
            with open("/proc/self/comm", "rb") as f:
                comm = f.read().strip().decode(errors="replace")
        except OSError:
            comm = "python3"
        return cls(pid=threading.get_native_id(), tgid=os.getpid(), uid=os.getuid(),
                   gid=os.getgid(), comm=comm, ppid=os.getppid())


@dataclass(frozen=True)
class MemChange:
    """``size`` bytes at ``offset`` of ``region`` went from ``old`` to ``new``."""

    region: str
    address: int
    offset: int
    old: bytes
    new: bytes


@dataclass(frozen=True)
class TraceStep:
    """One executed instruction: where, what, and its effect.

    ``regs`` are the 11 registers after the instruction, ``changes`` the memory it
    wrote, ``depth`` the call depth it ran at (0: the main function) and
    ``pointers`` names, per register, where it points (``"mem+4"``,
    ``"stack frame 0-8"``) or None for a plain number.
    """

    pc: int
    text: str
    regs: tuple[int, ...]
    changes: tuple[MemChange, ...]
    depth: int = 0
    pointers: tuple[str | None, ...] = ()

    def format(self) -> str:
        """Lines for a terminal: pc, the instruction (indented by call depth), the non-zero
        registers after it, then one line per memory change."""
        where = self.pointers or (None,) * len(self.regs)
        regs = " ".join(f"r{i}={w}" if w else f"r{i}={v:#x}"
                        for i, (v, w) in enumerate(zip(self.regs, where, strict=True)) if v)
        text = "  " * self.depth + self.text
        line = f"{self.pc:5d}: {text:<40s} {regs}"
        for c in self.changes:
            line += f"\n       {c.region}{c.offset:+d}: {c.old.hex()} -> {c.new.hex()}"
        return line


@dataclass
class RunResult:
    """What a run produced: r0, the memory after it, counts and captured output."""

    r0: int
    insns: int
    mem: bytes | None = None
    ctx: bytes | None = None
    packet: bytes | None = None
    output: list[str] = field(default_factory=list)


class Machine:
    """The state a compiled program runs against (see `VM` for the public API)."""

    def __init__(self, *, maps: dict[Any, VMMap] | None = None, task: Task | None = None,
                 cpu: int = 0, ncpus: int = 1, max_insns: int = DEFAULT_MAX_INSNS,
                 max_loops: int = MAX_LOOPS, seed: int | None = None,
                 clock: Callable[[], int] | None = None) -> None:
        #: per-VM helper replacements (`pybpf.vm.stubs`), looked up at each call
        self.stubs: dict[int, Callable[[Machine], int]] = {}
        #: user and kernel memory the probe_read helpers see (`pybpf.vm.image`)
        self.image: MemoryImage = MemoryImage()
        #: the BTF kernel structs (the current task) are laid out by; None: the running kernel's
        self.btf: Any = None
        #: a `pybpf.coverage.Coverage` recording executed instructions and branches, or None
        self.cover: Any = None
        self._task_addr: int | None = None
        self._task_key: tuple[Any, ...] | None = None
        self.R: list[int] = [0] * NUM_REGS
        self.mem = Memory()
        self.maps: dict[Any, VMMap] = dict(maps or {})
        self.task = task or Task()
        self.cpu = cpu
        self.ncpus = ncpus
        self.max_insns = max_insns
        self.max_loops = max_loops
        self.random = random.Random(seed)
        self.clock = clock or time.monotonic_ns
        self.output: list[str] = []
        # per-run state
        self.frames: list[tuple[Any, ...]] = []
        self.base_depth = 0
        self.code: Compiled | None = None
        self.pc = 0
        self.budget = max_loops
        self.stack: Region | None = None
        self.tail_calls = 0
        self.insns = 0
        self.extra = 0
        #: the count (insns + extra) a fused loop stops at (`execute` sets it per chunk)
        self.stop = max_insns
        #: the helper and return pc a `Reenter` left for the dispatch loop to call
        self.pending: tuple[Callable[[Machine], int], int] = (lambda m: 0, 0)
        self.fault_pc: int | None = None
        self.fuse = True
        self.hot = HOT
        self.packet: Region | None = None
        self._compiled: dict[int, tuple[ProgramSpec, tuple[Any, ...], Compiled]] = {}
        self._handles: dict[int, Region] = {}
        self._values: dict[int, Region] = {}
        self._code_regions: dict[int, Region] = {}
        self.reservations: dict[int, tuple[Any, Region, int]] = {}
        self._trace_cb: Callable[[TraceStep], None] | None = None
        self._trace_pending: tuple[Any, int, list[Any], int] | None = None

    # -- compilation ----------------------------------------------------------------
    def compiled(self, program: ProgramSpec) -> Compiled:
        """The decoded table of ``program`` (cached per program object, and recompiled
        when its instructions or references changed since)."""
        key = (tuple(program.insns), tuple(program.refs.items()))
        hit = self._compiled.get(id(program))
        if hit is not None and hit[0] is program and hit[1] == key:
            return hit[2]
        cp = compile_program(self, program)
        self._compiled[id(program)] = (program, key, cp)
        return cp

    # -- maps and addresses -------------------------------------------------------------
    def map_by_key(self, key: object, program: ProgramSpec | None = None) -> VMMap:
        """The VM map a program names (by name or fd number), created from its decl."""
        m = self.maps.get(key)
        if m is not None:
            return m
        decl = program.maps.get(key) if program is not None and isinstance(key, str) else None
        if decl is None:
            known = ", ".join(map(str, self.maps)) or "none"
            raise VMFault(f"program refers to map {key!r} but the VM has no such map "
                          f"(VM maps: {known}); pass maps={{...}}")
        kind = decl.type if isinstance(decl.type, str) else type_name(MAP_TYPES, decl.type)
        m = make_map(kind, decl.name, key_size=decl.key_size, value_size=decl.value_size,
                     max_entries=decl.max_entries, ncpus=self.ncpus)
        self.maps[key] = m
        return m

    def map_handle(self, m: VMMap) -> int:
        """The address that stands for ``m`` (a ``struct bpf_map *``); not dereferenceable."""
        r = self._handles.get(id(m))
        if r is None:
            r = self.mem.map(f"map {m.name}", 64, readable=False, writable=False, kind="map")
            r.owner = m
            self._handles[id(m)] = r
        return r.base

    def map_from_handle(self, addr: int, helper: str) -> VMMap:
        r = self.mem.region_at(addr)
        if r is None or r.kind != "map" or addr != r.base:
            raise VMFault(f"{helper}: {addr:#x} is not a map (load it with lddw map)",
                          address=addr)
        return cast(VMMap, r.owner)  # a region of kind "map" is owned by its VMMap

    def value_address(self, m: VMMap, value: bytearray, label: str) -> int:
        """The address of a live map value (mapped once, stable while it lives)."""
        r = self._values.get(id(value))
        if r is None or r.data is not value:
            r = self.mem.map(f"map value {m.name}{label}", value, kind="map value",
                             writable=not m.rdonly_prog)
            self._values[id(value)] = r
        return r.base

    def forget_value(self, value: bytearray) -> None:
        r = self._values.pop(id(value), None)
        if r is not None:
            self.mem.unmap(r, why="the map element was deleted")

    def code_region(self, cp: Compiled) -> Region:
        r = self._code_regions.get(id(cp))
        if r is None:
            r = self.mem.map(f"code {cp.program.name or 'prog'}", 8 * max(cp.nslots, 1),
                             readable=False, writable=False, kind="code")
            r.owner = cp
            self._code_regions[id(cp)] = r
        return r

    # -- handler factories used by compile.py ----------------------------------------------
    def make_exit(self) -> Handler:
        frames, R, mem = self.frames, self.R, self.mem

        def h() -> int:
            if len(frames) == self.base_depth:
                raise Exit
            R[6], R[7], R[8], R[9], R[10], ret, code, stack, self.budget = frames.pop()
            if self.stack is not None:
                mem.unmap(self.stack, why=RETURNED)
            self.stack = stack
            if code is not self.code:
                self.code, self.pc = code, ret
                raise Switch
            return ret
        return h

    def push_frame(self, ret: int) -> None:
        R = self.R
        n = len(self.frames) + 1
        if n >= MAX_CALL_FRAMES:
            raise VMFault(f"call depth exceeds {MAX_CALL_FRAMES} frames")
        self.frames.append((R[6], R[7], R[8], R[9], R[10], ret, self.code, self.stack,
                            self.budget))
        # a fresh region per call: a pointer into a returned frame must fault, not alias
        stack = self.mem.map_stack(FRAME_NAMES[n], STACK_SIZE)
        self.stack = stack
        R[FRAME_POINTER] = stack.base + STACK_SIZE
        self.budget = self.max_loops

    def pop_stack(self) -> None:
        """The current callee frame returns: its stack region goes away."""
        if self.stack is not None:
            self.mem.unmap(self.stack, why=RETURNED)

    def make_local_call(self, target: int, nx: int) -> Handler:
        """`push_frame` written out: the hot path of every bpf-to-bpf call."""
        frames, R, map_stack = self.frames, self.R, self.mem.map_stack

        def h() -> int:
            n = len(frames) + 1
            if n >= MAX_CALL_FRAMES:
                raise VMFault(f"call depth exceeds {MAX_CALL_FRAMES} frames")
            frames.append((R[6], R[7], R[8], R[9], R[10], nx, self.code, self.stack,
                           self.budget))
            self.stack = stack = map_stack(FRAME_NAMES[n], STACK_SIZE)
            R[10] = stack.base + STACK_SIZE
            self.budget = self.max_loops
            return target
        return h

    def make_callx(self, reg: int, nx: int, cp: Compiled) -> Handler:
        R = self.R

        def h() -> int:
            addr = R[reg]
            r = self.mem.region_at(addr)
            if r is not None and r.kind == "code":
                off = addr - r.base
                if off % 8 or r.owner is not self.code:
                    raise VMFault(f"callx to {addr:#x}: not a function of this program",
                                  address=addr, region=r.name, offset=off)
                self.push_frame(nx)
                return off // 8
            if addr < 1 << 32 and _helpers.lookup(addr) is not None:
                # uBPF/bpf_conformance: callx with a helper id calls that helper
                R[0] = _helpers.call(self, addr) & M64
                return nx
            raise VMFault(f"callx to {addr:#x}, which is neither a function address nor a "
                          "helper id", address=addr)
        return h

    def make_helper_call(self, num: int, nx: int) -> Handler:
        R, stubs = self.R, self.stubs
        fn = _helpers.lookup(num)
        name = helper_name(num)
        why = (f"helper {name} (id {num}) is not implemented in the VM; stub it with "
               f"VM(helpers={{{name!r}: ...}})" if name else f"unknown helper id {num}")

        reenters = num in _helpers.CALLS_BACK

        def h() -> int:
            f = stubs.get(num, fn) if stubs else fn
            if f is None:
                raise VMFault(why)
            if reenters and f is fn and self._trace_cb is None and self.cover is None:
                self.pending = (f, nx)
                raise Reenter
            R[0] = f(self) & M64
            return nx
        return h

    def task_address(self) -> int:
        """The kernel address of the current task's ``task_struct`` (``bpf_get_current_task``):
        one the memory image holds for it, else one built from `Task` and the BTF
        (``pid``, ``tgid``, ``comm``, and a ``real_parent`` whose ``tgid`` is ``ppid``)."""
        key = (self.task.pid, self.task.tgid, self.task.comm, self.task.ppid, id(self.btf))
        if self._task_addr is None or self._task_key != key:
            from ..btf import vmlinux

            btf = self.btf if self.btf is not None else vmlinux()
            t = self.task
            parent = self.image.struct(btf, "task_struct", {"pid": t.ppid, "tgid": t.ppid},
                                       missing_ok=True)
            self._task_addr = self.image.struct(btf, "task_struct", {
                "pid": t.pid, "tgid": t.tgid, "comm": t.comm.encode()[:15],
                "real_parent": parent, "parent": parent}, missing_ok=True)
            self._task_key = key
            self._map_image()
        return self._task_addr

    def _map_image(self) -> None:
        """Map memory-image chunks not mapped yet (their regions last until the next run)."""
        for c in self.image.chunks:
            if self.mem.region_at(c.address) is None:
                user = c.space == "user"
                self.mem.map(c.name, bytearray(c.data), readable=not user, writable=False,
                             kind=f"{c.space} memory", at=c.address)

    def make_may_goto(self, target: int, nx: int) -> Handler:
        def h() -> int:
            if self.budget == 0:
                return target
            self.budget -= 1
            return nx
        return h

    def make_func_address(self, d: int, target: int, cp: Compiled, nx: int) -> Handler:
        R = self.R

        def h() -> int:
            R[d] = self.code_region(cp).base + 8 * target
            return nx
        return h

    def make_map_address(self, d: int, key: object, value: bool, offset: int, nx: int,
                         slot: int) -> Handler:
        R = self.R

        def h() -> int:
            m = self.map_by_key(key, self.code.program if self.code else None)
            if not value:
                R[d] = self.map_handle(m)
                return nx
            if not isinstance(m, ArrayMap) or m.kind != "array":
                raise VMFault(f"direct value access (map_value) needs an array map, "
                              f"{m.name!r} is a {m.kind}")
            R[d] = (self.value_address(m, m.values[0], "[0]") + offset) & M64
            return nx
        return h

    def make_ld_packet(self, n: int, imm: int, src: int | None, nx: int) -> Handler:
        R = self.R

        def h() -> int:
            pkt = self.packet
            off = imm if src is None else R[src] + imm
            off = ((off & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
            if pkt is None or off < 0 or off + n > len(pkt.data):
                R[0] = 0
                raise Abort
            R[0] = int.from_bytes(pkt.data[off:off + n], "big")
            return nx
        return h

    # -- running --------------------------------------------------------------------
    def reset(self) -> None:
        self.mem.reset()
        self.R[:] = [0] * NUM_REGS
        self.frames.clear()
        self.base_depth = 0
        self.tail_calls = 0
        self.insns = 0
        self.extra = 0
        self.fault_pc = None
        self.budget = self.max_loops
        self._handles.clear()
        self._values.clear()
        self._code_regions.clear()
        self.reservations.clear()
        self.packet = None
        self.output = []
        for m in self.maps.values():
            m.cpu = self.cpu
        self._map_image()

    def execute(self, cp: Compiled, pc: int, trace: Callable[[TraceStep], None] | None) -> None:
        """Run from ``pc`` until the frame at ``base_depth`` exits.

        Untraced runs start on the per-instruction table and move to the fused
        blocks (`pybpf.vm.blocks`) once the program has run `HOT` instructions,
        so short one-off runs do not pay for generating code.
        """
        self.code = cp
        while True:
            cp = self.code
            left = self.max_insns - self.insns - self.extra
            cover = self.cover.sets(cp.program) if self.cover is not None else None
            warm = (trace is None and cover is None and self.fuse and cp.fast is None
                    and cp.heat < self.hot)
            if warm:
                H, n = cp.handlers, min(left, self.hot - cp.heat)
            elif cover is not None:
                H, n = cp.handlers, left
            else:
                H, n = self._table(cp, trace), left
                if H is cp.fast:
                    H, n = self._chunk(cp, left)
            i = -1
            try:
                if left <= 0:
                    raise VMFault(f"instruction limit reached ({self.max_insns} instructions); "
                                  "pass max_insns= to allow more")
                if cover is not None and trace is None:
                    hits, arcs = cover
                    for i in range(n):  # noqa: B007
                        hits.add(pc)
                        nxt = H[pc]()
                        arcs.add((pc, nxt))
                        pc = nxt
                elif trace is None:
                    for i in range(n):  # noqa: B007 - i is read after the loop
                        pc = H[pc]()
                else:
                    for i in range(n):  # noqa: B007
                        if cover is not None:
                            cover[0].add(pc)
                        pc = self._traced(H, pc, trace)
                self.insns += n
                if warm:
                    cp.heat += n
            except Switch:
                self.insns += i + 1
                if trace is not None:
                    self._trace_last(trace)
                pc = self.pc
            except Reenter:
                self.insns += i + 1
                if warm:
                    cp.heat += i + 1
                pc = self._reenter()
            except (Exit, Abort):
                self.insns += i + 1
                if warm:
                    cp.heat += i + 1
                if trace is not None:
                    self._trace_last(trace)
                raise
            except VMFault as exc:
                if exc.pc is not None:
                    raise
                self.insns += i + 1
                if self.fault_pc is not None:
                    pc, self.fault_pc = self.fault_pc, None
                cp_now = self.code
                raise VMFault(exc.message, pc=pc, insn=cp_now.texts[pc] if cp_now else None,
                              address=exc.address, region=exc.region, offset=exc.offset) from None
            except (IndexError, KeyError, TypeError, ValueError, OverflowError) as exc:
                cp_now = self.code
                raise VMFault(f"internal VM error: {exc!r}", pc=pc,
                              insn=cp_now.texts[pc] if cp_now else None) from exc

    def _reenter(self) -> int:
        """Call the helper a `Reenter` stopped at (the instructions before it counted), as
        its handler would have; the next pc."""
        f, nx = self.pending
        try:
            self.R[0] = f(self) & M64
        except VMFault as exc:
            if exc.pc is not None:
                raise
            cp = self.code
            raise VMFault(exc.message, pc=nx - 1, insn=cp.texts[nx - 1] if cp else None,
                          address=exc.address, region=exc.region, offset=exc.offset) from None
        except (IndexError, KeyError, TypeError, ValueError, OverflowError) as exc:
            cp = self.code
            raise VMFault(f"internal VM error: {exc!r}", pc=nx - 1,
                          insn=cp.texts[nx - 1] if cp else None) from exc
        return nx

    def _chunk(self, cp: Compiled, left: int) -> tuple[list[Handler], int]:
        """(table, calls) of the next stretch of a fused run with ``left`` instructions to
        the limit: ``n`` block calls, each at most ``cp.block_max`` instructions, and loops
        that stop at `stop`, so the stretch ends before the limit; near the limit, the
        per-instruction handlers, so the limit's fault names the instruction it falls on
        (and the count is exact) as in an unfused run."""
        b = cp.block_max
        if left <= 8 * b:
            return cp.handlers, left
        n = left // (4 * b)
        self.stop = self.max_insns - n - n * b - b
        assert cp.fast is not None
        return cp.fast, n

    def _table(self, cp: Compiled, trace: Callable[[TraceStep], None] | None) -> list[Handler]:
        """The per-instruction table when tracing, else the fused-block table."""
        if trace is not None or not self.fuse:
            return cp.handlers
        if cp.fast is None:
            cp.fast = build_blocks(self, cp)
        return cp.fast

    def _traced(self, H: Sequence[Handler], pc: int, trace: Callable[[TraceStep], None]) -> int:
        log: list[tuple[Region, int, bytes, bytes]] = []
        self.mem.log = log
        pending = (self.code, pc, log, len(self.frames))
        self._trace_pending = pending
        nxt = H[pc]()
        self._trace_pending = pending  # a helper may have run traced callbacks meanwhile
        self._emit(trace)
        return nxt

    def _emit(self, trace: Callable[[TraceStep], None]) -> None:
        assert self._trace_pending is not None
        cp, pc, log, depth = self._trace_pending
        self.mem.log = None
        changes = tuple(MemChange(r.name, r.base + o, o - r.origin, old, new)
                        for r, o, old, new in log)
        trace(TraceStep(pc, cp.texts[pc], tuple(self.R), changes, depth,
                        tuple(self._pointer(v) for v in self.R)))

    def _pointer(self, value: int) -> str | None:
        """``region+offset`` when ``value`` points into (or just past) a region."""
        if value < BASE_ADDRESS:
            return None
        r = self.mem.region_at(value) or self.mem.region_at(value - 1)
        if r is None:
            return None
        off = value - r.base - r.origin
        if r.kind == "stack":  # fp0 = r10 of frame 0, fp1-8 = 8 below r10 of frame 1...
            return f"fp{r.name.rsplit(' ', 1)[-1]}" + (f"{off:+d}" if off else "")
        return f"{r.name.replace(' ', '_')}{off:+d}"

    def _trace_last(self, trace: Callable[[TraceStep], None]) -> None:
        if self._trace_pending is not None:
            self._emit(trace)
            self._trace_pending = None

    def call_function(self, addr: int, args: Sequence[int]) -> int:
        """Call the BPF function at code address ``addr`` (bpf_loop callbacks); its r0."""
        r = self.mem.region_at(addr)
        if r is None or r.kind != "code" or (addr - r.base) % 8:
            raise VMFault(f"callback {addr:#x} is not a function address", address=addr)
        cp = cast(Compiled, r.owner)  # a region of kind "code" is owned by its Compiled
        saved_code, saved_base, saved_stop, R = self.code, self.base_depth, self.stop, self.R
        self.push_frame(-1)
        for i, v in enumerate(args, start=1):
            R[i] = v & M64
        self.base_depth = len(self.frames)
        try:
            self.execute(cp, (addr - r.base) // 8, self._trace_cb)
        except Exit:
            pass
        finally:
            self.base_depth, self.stop = saved_base, saved_stop
        r0 = R[0]
        r6, r7, r8, r9, r10, _ret, _code, stack, budget = self.frames.pop()
        R[6], R[7], R[8], R[9], R[10] = r6, r7, r8, r9, r10
        self.pop_stack()
        self.stack, self.budget, self.code = stack, budget, saved_code
        return r0

    def tail_call(self, prog_array: VMMap, index: int) -> bool:
        """Switch to ``prog_array[index]``; False if there is no such program or no budget."""
        if not isinstance(prog_array, ProgArrayMap):
            raise VMFault(f"bpf_tail_call: map {prog_array.name!r} is a {prog_array.kind}, "
                          "not a prog_array")
        target = prog_array.progs.get(index)
        if target is None or self.tail_calls >= MAX_TAIL_CALLS:
            return False
        self.tail_calls += 1
        self.code = self.compiled(_as_program(target))
        self.pc = 0
        self.budget = self.max_loops
        return True


def _as_program(program: ProgramSpec | bytes | bytearray | Sequence[Insn]) -> ProgramSpec:
    if isinstance(program, ProgramSpec):
        return program
    if isinstance(program, (bytes, bytearray, memoryview)):
        return ProgramSpec(decode_all(program))
    return ProgramSpec(list(program))


class VM:
    """The userspace eBPF virtual machine.

    ``fuse=False`` runs one handler call per instruction instead of fused basic
    blocks (same results; the tracer always works per instruction).
    Maps are VM-side (`pybpf.vm.maps`) and persist across runs; pass them as
    ``maps={"name": map}`` (names used by the program's map references) or
    let the VM create them from the program's map declarations.

    >>> from pybpf.isa import Insn, ProgramSpec
    >>> vm = VM()
    >>> res = vm.run(ProgramSpec([Insn(0xb7, dst=0, imm=-1), Insn(0x95)]))
    >>> hex(res.r0), res.insns
    ('0xffffffffffffffff', 2)
    """

    def __init__(self, *, maps: dict[Any, VMMap] | None = None, task: Task | None = None,
                 cpu: int = 0, ncpus: int = 1, max_insns: int = DEFAULT_MAX_INSNS,
                 max_loops: int = MAX_LOOPS, seed: int | None = None,
                 clock: Callable[[], int] | None = None, fuse: bool = True,
                 helpers: dict[Any, Any] | None = None, image: MemoryImage | None = None,
                 btf: Any = None, coverage: Any = None) -> None:
        self.machine = Machine(maps=maps, task=task, cpu=cpu, ncpus=ncpus, max_insns=max_insns,
                               max_loops=max_loops, seed=seed, clock=clock)
        self.machine.fuse = fuse
        if helpers:
            self.stub(helpers)
        if image is not None:
            self.machine.image = image
        self.machine.btf = btf
        self.machine.cover = coverage

    def stub(self, helpers: dict[Any, Any]) -> None:
        """Replace helpers for the following runs (`pybpf.vm.stubs`): ``{name: int or
        callable(HelperCall) -> int}``; a value of None restores the VM's own helper."""
        from .stubs import helper_number, make_stub

        for name, value in helpers.items():
            num = helper_number(name)
            if value is None:
                self.machine.stubs.pop(num, None)
            else:
                self.machine.stubs[num] = make_stub(name, value)

    @property
    def image(self) -> MemoryImage:
        """The user/kernel memory ``bpf_probe_read_*`` read (`pybpf.vm.image.MemoryImage`)."""
        return self.machine.image

    @property
    def task(self) -> Task:
        """The fake current task (``bpf_get_current_pid_tgid``, ``_comm``, ``_task``)."""
        return self.machine.task

    @task.setter
    def task(self, task: Task) -> None:
        self.machine.task = task

    @property
    def coverage(self) -> Any:
        """The `pybpf.coverage.Coverage` this VM records into, or None."""
        return self.machine.cover

    @coverage.setter
    def coverage(self, cov: Any) -> None:
        self.machine.cover = cov

    @property
    def maps(self) -> dict[Any, VMMap]:
        return self.machine.maps

    @property
    def output(self) -> list[str]:
        """Lines ``bpf_trace_printk`` printed in the last run."""
        return self.machine.output

    def run(self, program: ProgramSpec | bytes | Sequence[Insn], *, mem: bytes | bytearray | None = None,
            ctx: bytes | bytearray | None = None, packet: bytes | bytearray | None = None,
            ctx_writable: bool = False, trace: Callable[[TraceStep], None] | None = None,
            args: Sequence[int] | None = None, prog_type: str | None = None) -> RunResult:
        """Run ``program`` once; see the module docstring for the conventions.

        With ``prog_type`` ``"xdp"``, ``"sched_cls"`` or ``"socket_filter"`` (by
        default the program's own type) and a ``packet``, r1 is a context the VM
        builds (`pybpf.vm.contexts`) whose ``data``/``data_end`` point at the packet.
        Other program types take their context as ``ctx=`` (a tracepoint record, a
        raw tracepoint's ``u64`` arguments, ``bpf_perf_event_data``). A ``bytearray`` passed as ``mem``/``ctx``/``packet``
        is updated in place. Raises `VMFault` (with pc, instruction, address,
        region, offset) when the program faults.
        """
        if mem is not None and ctx is not None:
            raise VMFault("pass mem= (r1 = mem, r2 = length) or ctx= (r1 = ctx), not both")
        prog = _as_program(program)
        if prog_type is None and packet is not None and ctx is None and mem is None \
                and prog.prog_type in CONTEXT_TYPES:
            prog_type = prog.prog_type  # a packet for an XDP/tc program: its own context
        if prog_type in CONTEXT_TYPES and (ctx is not None or mem is not None or packet is None):
            raise VMFault(f"prog_type={prog_type!r} builds the context from packet=: pass "
                          "packet= and neither ctx= nor mem=")
        if prog_type not in CONTEXT_TYPES and (packet is None or ctx is not None or mem is not None):
            prog_type = None  # tracing programs: the context is ctx= as given
        m = self.machine
        cp = m.compiled(prog)
        m.reset()
        R = m.R
        mem_r = ctx_r = pkt_r = None
        if mem is not None:
            mem_r = m.mem.map("mem", mem if isinstance(mem, bytearray) else bytearray(mem))
            R[1], R[2] = mem_r.base, len(mem_r.data)
        if ctx is not None:
            ctx_r = m.mem.map("context", ctx if isinstance(ctx, bytearray) else bytearray(ctx),
                              writable=ctx_writable, kind="context")
            R[1] = ctx_r.base
        if packet is not None:
            pkt_r = m.mem.map("packet", packet if isinstance(packet, bytearray)
                              else bytearray(packet), kind="packet")
            if prog_type is not None:
                built = build_context(prog_type, pkt_r.base, len(pkt_r.data), bytes(pkt_r.data))
                ctx_r = m.mem.map(prog_type_ctx_name(prog_type), built, writable=False,
                                  kind="context")
                R[1] = ctx_r.base
        m.packet = pkt_r or mem_r or ctx_r
        if prog_type in L3_TYPES and pkt_r is not None:
            # a socket filter's skb starts after the Ethernet header (what LD_ABS reads)
            m.packet = m.mem.map("packet after the Ethernet header",
                                 bytes(pkt_r.data[ETH_HLEN:]), writable=False, kind="packet")
        for i, v in enumerate(args or (), start=1):
            R[i] = v & M64
        m.stack = m.mem.map("stack frame 0", STACK_SIZE, kind="stack", origin=STACK_SIZE)
        R[FRAME_POINTER] = m.stack.end
        m._trace_cb = trace
        m._trace_pending = None
        try:
            m.execute(cp, 0, trace)
        except (Exit, Abort):
            pass
        finally:
            m.mem.log = None
        if m.reservations:
            first = next(iter(m.reservations.values()))
            m.reservations.clear()
            raise VMFault(f"ring buffer record of {first[2]} bytes reserved in {first[0].name!r} "
                          "was neither submitted nor discarded before exit",
                          address=first[1].base, region=first[1].name)
        return RunResult(R[0], m.insns + m.extra,
                         bytes(mem_r.data) if mem_r is not None else None,
                         bytes(ctx_r.data) if ctx_r is not None else None,
                         bytes(pkt_r.data) if pkt_r is not None else None,
                         list(m.output))
