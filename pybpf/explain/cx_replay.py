"""Replaying a counterexample: one run of `pybpf.vm` on chosen inputs.

`replay` builds the maps, the context and the packet an assignment of
`pybpf.explain.cx_inputs.Choice` values describes, runs the program in the VM with a
trace, and reports where it faulted and how far it followed the verifier's failing path.

A fault is the VM's own (its checked memory: a NULL or out-of-bounds access, a helper's
memory argument that breaks the helper's contract, the call depth, a ring buffer record
still held at exit) or one of the checks the replay adds at the instruction the kernel
rejected, for rules whose breach the VM would only see later or never:

- ``pointer``: pointer arithmetic that leaves the pointer's object (or moves a NULL);
- ``return``: a return value outside the range the program type allows, or an address;
- ``leak``: a ring buffer record held at the exit or across a tail call;
- a map the program may only read (``BPF_F_RDONLY_PROG``) has its values read-only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..isa import AluOp, Class, JmpOp
from .cx_inputs import ARRAY_KINDS, HASH_KINDS, SKB_TYPES, Choice, ctx_size

if TYPE_CHECKING:
    from ..isa import Insn, ProgramSpec
    from ..vm.machine import TraceStep

#: BPF_F_RDONLY_PROG: the program may only read the map's values
RDONLY_PROG = 0x80
#: array entries a counterexample fills (the rest stay zero)
MAX_FILLED = 4096
#: the replay check each error class gets at the failing instruction
MONITORS = {"unbounded_pointer_math": "pointer", "pointer_arith_prohibited": "pointer",
            "return_range": "return", "return_pointer": "return", "reference_leak": "leak"}
_RANGE = re.compile(r"should have been in \[(-?\d+), (-?\d+)\]")


class _Contract(Exception):
    """The replay's check at the failing instruction found the rule broken."""


@dataclass
class Outcome:
    """What one replay did."""

    pcs: list[int] = field(default_factory=list)
    fault_pc: int | None = None
    fault: str | None = None
    memory_fault: bool = False  # a fault that shows the problem (not "helper missing"...)
    regs: tuple[int, ...] = ()  # the registers before the faulting instruction
    keys: dict[str, list[str]] = field(default_factory=dict)  # map -> keys looked up

    def score(self, path: list[int]) -> int:
        n = 0
        for a, b in zip([*self.pcs, *([self.fault_pc] if self.fault_pc is not None else [])],
                        path, strict=False):
            if a != b:
                break
            n += 1
        return n


def _template(choices: list[Choice], assign: dict[Any, Any], where: str, size: int) -> bytearray:
    buf = bytearray(size)
    for c in choices:
        if c.kind == "load" and c.name == where and 0 <= c.off and c.off + c.size <= size:
            buf[c.off:c.off + c.size] = int(assign[c.key]).to_bytes(c.size, "little")
    return buf


def _maps(maprefs: dict[str, Any], choices: list[Choice], assign: dict[Any, Any],
          out: Outcome) -> dict[str, Any]:
    from ..errors import PybpfError
    from ..vm import make_map

    present = {c.name: bool(assign[c.key]) for c in choices if c.kind == "map"}
    vm_maps: dict[str, Any] = {}
    for name, ref in maprefs.items():
        try:
            m = make_map(ref.type, name, key_size=ref.key_size, value_size=ref.value_size,
                         max_entries=ref.max_entries)
        except PybpfError:
            continue
        tpl = _template(choices, assign, f"map {name}", ref.value_size)
        if ref.type in ARRAY_KINDS:
            for i in range(min(ref.max_entries, MAX_FILLED)):
                m.update(i.to_bytes(ref.key_size, "little"), bytes(tpl))
        elif ref.type in HASH_KINDS and present.get(name, True):
            _seed(m, bytes(tpl), out.keys.setdefault(name, []))
        vm_maps[name] = m
    return vm_maps


def _seed(m: Any, value: bytes, keys: list[str]) -> None:
    """Make hash map ``m`` hold ``value`` for any key the program looks up."""
    lookup = m.lookup

    def seeded(key: bytes) -> Any:
        if lookup(key) is None:
            m.update(key, value)
            keys.append(bytes(key).hex())
        return lookup(key)
    m.lookup = seeded


def _context(prog_type: str | None, choices: list[Choice],
             assign: dict[Any, Any]) -> tuple[bytearray, bytearray | None]:
    from ..vm.contexts import build_context
    from ..vm.memory import Memory

    size = ctx_size(prog_type)
    pc = next((c for c in choices if c.kind == "packet"), None)
    if pc is None or not (prog_type in SKB_TYPES or prog_type == "xdp"):
        return _template(choices, assign, "context", size), None
    plen = int(assign[pc.key])
    pkt = _template(choices, assign, "packet data", plen)
    scratch = Memory()  # VM.run maps the context first, then the packet: same addresses
    scratch.map("context", size, kind="context")
    data = scratch.map("packet", plen, kind="packet").base
    ctx = build_context("xdp" if prog_type == "xdp" else "sched_cls", data, plen, bytes(pkt))
    for c in choices:
        if c.kind == "load" and c.name == "context" and c.off + c.size <= len(ctx):
            ctx[c.off:c.off + c.size] = int(assign[c.key]).to_bytes(c.size, "little")
    return ctx, pkt


def replay(program: ProgramSpec, prog_type: str | None, insns: dict[int, Insn],
           maprefs: dict[str, Any], choices: list[Choice], assign: dict[Any, Any],
           want: int | None, error_class: str | None, message: str) -> Outcome:
    """Run ``program`` on the inputs ``assign`` gives ``choices`` (see the module);
    ``insns`` maps the kernel's instruction numbers to instructions."""
    from ..errors import PybpfError, VMFault
    from ..vm import VM

    out = Outcome()
    vm_maps = _maps(maprefs, choices, assign, out)
    rdonly = [f"map value {n}" for n, r in maprefs.items() if r.flags & RDONLY_PROG]
    ctx, pkt = _context(prog_type, choices, assign)
    vm = VM(maps=vm_maps, max_insns=200_000)
    mem = vm.machine.mem
    monitor = MONITORS.get(error_class or "")
    state: dict[str, tuple[int, ...]] = {"prev": (0,) * 11}

    def check(step: TraceStep) -> None:
        out.pcs.append(step.pc)
        for r in mem.regions if rdonly else ():
            if r.kind == "map value" and r.name.startswith(tuple(rdonly)):
                r.writable = False
        prev = state["prev"]
        state["prev"] = step.regs
        if step.pc != want or monitor is None:
            return
        insn = insns.get(step.pc)
        if insn is None:
            return
        why = _broken(monitor, insn, prev, step, vm, message)
        if why is not None:
            out.regs = prev
            raise _Contract(why)

    try:
        if pkt is not None:
            vm.run(program, ctx=ctx, packet=pkt, ctx_writable=True, trace=check)
        else:
            vm.run(program, ctx=ctx, ctx_writable=True, trace=check)
    except _Contract as c:
        out.fault_pc, out.fault, out.memory_fault = want, str(c), True
    except VMFault as f:
        out.fault_pc = f.pc if f.pc is not None else (out.pcs[-1] if out.pcs else None)
        out.fault = f.message
        out.memory_fault = f.address is not None or "call depth" in f.message
        out.regs = state["prev"]
    except PybpfError as exc:  # the VM cannot run this program (a map kind it lacks...)
        out.fault = "not replayed: " + re.sub(r"\s+", " ", str(exc))[:120]
    return out


def _broken(monitor: str, insn: Insn, prev: tuple[int, ...], step: TraceStep, vm: Any,
            message: str) -> str | None:
    """Why the instruction that just ran breaks the rule ``monitor`` checks, or None."""
    mem = vm.machine.mem
    if monitor == "pointer" and insn.cls in (Class.ALU64, Class.ALU) and \
            insn.op in (AluOp.ADD, AluOp.SUB):
        d = insn.dst
        before, after = prev[d], step.regs[d]
        if before == 0:
            return (f"R{d} is NULL (0) here, and the arithmetic moves it to {after:#x}: a "
                    "pointer that is no object's")
        r = mem.region_at(before) or mem.region_at(before - 1)
        if r is not None and not r.base <= after <= r.end:
            delta = _signed(after - before)
            return (f"R{d} leaves '{r.name}' (size {r.size}): it moves by {delta} from offset "
                    f"{before - r.base} to {_signed(after - r.base)}; an access through it "
                    "faults")
        return None
    if monitor == "return" and insn.cls in (Class.JMP, Class.JMP32) and insn.op == JmpOp.EXIT \
            and step.depth == 0:
        r0 = step.regs[0]
        m = _RANGE.search(message)
        if m is not None:
            s0 = r0 - (1 << 64) if r0 >> 63 else r0
            lo, hi = int(m.group(1)), int(m.group(2))
            if not lo <= s0 <= hi:
                return f"the program returns {s0}, outside [{lo}, {hi}]"
            return None
        r = mem.region_at(r0)
        if r is not None:
            return f"the program returns the address {r0:#x} ('{r.name}'): a pointer leaks"
        return None
    if monitor == "leak" and insn.cls in (Class.JMP, Class.JMP32) and \
            insn.op in (JmpOp.EXIT, JmpOp.CALL):
        held = vm.machine.reservations
        if held:
            mp, region, size = next(iter(held.values()))
            where = "at the exit" if insn.op == JmpOp.EXIT else "across the tail call"
            return (f"the ring buffer record of {size} bytes reserved in {mp.name!r} is still "
                    f"held {where}: it is never submitted or discarded")
    return None


def _signed(x: int) -> int:
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >> 63 else x


__all__ = ["MONITORS", "Outcome", "replay"]
