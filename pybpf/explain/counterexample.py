"""Counterexamples: concrete inputs consistent with the abstract state at the failing
instruction, replayed in `pybpf.vm` to show the fault happening.

From the provenance of the value at fault (`pybpf.explain.provenance`), the input that
made it is chosen:

- a pointer that may be NULL from a map lookup: the map holds no entry (the lookup
  returns NULL);
- an index loaded from a map value, the context or the packet: the largest value (the
  smallest, for a negative index) its abstract value allows, written where it is loaded
  from (every entry of an array map, the context bytes, the packet bytes).

The program then runs in the VM; the counterexample is *replayed* when the VM faults at
the instruction the verifier rejected.

>>> from pybpf.asm import assemble
>>> from pybpf.explain import explain_program
>>> p = assemble(".map m hash key=4 value=8 max_entries=4\\n*(u32 *)(r10 - 4) = 0\\nr2 = r10\\nr2 += -4\\nr1 = m ll\\ncall bpf_map_lookup_elem\\nr0 = *(u64 *)(r0 + 0)\\nexit")
>>> c = explain_program(p, "socket_filter", counterexample=True).counterexample
>>> c.replayed, c.fault_insn
(True, 6)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..isa import CALL, CallSrc, Class, helper_name
from ..verifier.state import RT

_U64 = (1 << 64) - 1


@dataclass
class Counterexample:
    """Concrete inputs and what the VM did with them."""

    registers: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False
    fault_insn: int | None = None
    fault: str | None = None

    def text(self) -> str:
        what = ", ".join(f"{k} = {v}" for k, v in self.inputs.items()) or "the entry state"
        regs = ", ".join(f"{k} = {v:#x}" for k, v in self.registers.items())
        out = f"counterexample: {what}" + (f" ({regs})" if regs else "")
        if self.replayed:
            out += f"\n  replayed in the VM: faults at insn {self.fault_insn}: {self.fault}"
        elif self.fault:
            out += f"\n  in the VM: {self.fault}"
        else:
            out += "\n  in the VM: no fault on this input"
        return out

    def to_json(self) -> dict[str, Any]:
        return {"registers": self.registers, "inputs": self.inputs, "replayed": self.replayed,
                "fault_insn": self.fault_insn, "fault": self.fault}


def _extreme(value: Any, negative: bool, width: int) -> int:
    var = value.var
    if negative:
        return var.smin & ((1 << width) - 1)
    top = min(var.umax, (1 << width) - 1)
    return top


def find_counterexample(program: Any, prog_type: str | None, e: Any, v: Any, trace: Any, *,
                        maps: Any = None) -> Counterexample | None:
    """A counterexample for explanation ``e`` of ``program``, or None when none is known."""
    if e.error_class not in ("null_deref", "map_value_oob", "unbounded_access", "negative_index",
                             "mem_oob", "packet_oob"):
        return None
    ce = Counterexample()
    ctx = bytearray(256)
    packet: bytearray | None = None
    fills: list[tuple[str, int, int, int]] = []  # (map, offset, size, value)
    path = trace.failing_path()
    source = next((s for s in reversed(e.provenance) if s.role == "source"), None)
    if source is None:
        return None
    node = next((n for n in reversed(path) if n.insn == source.insn), None)
    if node is None:
        return None
    insn = v.insns[source.insn]
    if insn.opcode == CALL and insn.src == CallSrc.HELPER:
        if e.error_class != "null_deref":
            return None
        ce.inputs["helper"] = f"{helper_name(insn.imm)} returns NULL (no entry)"
    elif insn.cls == Class.LDX:
        base = node.regs[insn.src]
        k = path.index(node)
        after = path[k + 1].regs if k + 1 < len(path) else trace.before
        loaded = after[insn.dst]
        width = insn.size * 8
        cands = _candidates(loaded, width, e, trace, v)
        value = cands[0]
        ce.registers[f"R{insn.dst}"] = value
        off = base.off + insn.off
        if base.type is RT.PTR_TO_MAP_VALUE and base.map is not None and base.var.is_const:
            if base.map.type not in ("array", "percpu_array"):
                return None
            fills.append((base.map.name, off + base.var.value, insn.size, value))
            ce.inputs[f"map {base.map.name} value at offset {off}"] = value
        elif base.type is RT.PTR_TO_CTX:
            if prog_type in ("xdp", "sched_cls"):
                return None
            ctx[off:off + insn.size] = value.to_bytes(insn.size, "little")
            ce.inputs[f"context at offset {off}"] = value
        elif base.type is RT.PTR_TO_PACKET and base.var.is_const:
            packet = bytearray(max(64, off + insn.size))
            packet[off:off + insn.size] = value.to_bytes(insn.size, "little")
            ce.inputs[f"packet at offset {off}"] = value
        else:
            return None
    else:
        return None
    if not fills and packet is None and not ce.registers:  # a NULL: nothing to choose
        _replay(program, prog_type, ce, ctx, packet, fills, e.insn)
        return ce
    reg = next(iter(ce.registers))
    key = next(k for k in ce.inputs if k != "helper")
    for value in cands:
        ce.registers[reg] = value
        ce.inputs[key] = value
        size = insn.size
        if fills:
            fills = [(m, o, sz, value) for m, o, sz, _ in fills]
        elif packet is not None:
            packet[off:off + size] = value.to_bytes(size, "little")
        else:
            ctx[off:off + size] = value.to_bytes(size, "little")
        _replay(program, prog_type, ce, ctx, packet, fills, e.insn)
        if ce.replayed:
            break
    return ce


def _candidates(loaded: Any, width: int, e: Any, trace: Any, v: Any) -> list[int]:
    """Values to try for the loaded input: the extremes its abstract value allows at the
    load and, scaled back through the shifts on the way, at the failing instruction."""
    mask = (1 << width) - 1
    out: list[int] = []
    neg = e.error_class == "negative_index"
    for val in (loaded.var.smin if neg else loaded.var.umax, loaded.var.smin, loaded.var.umax):
        out.append(val & mask)
    shift = 0
    for s in e.provenance:
        m = re.match(r"r\d+ <<= (\d+)$", s.text)
        if m:
            shift += int(m.group(1))
    at_fail = trace.before
    regs = [r for r in (at_fail or ()) if r.is_pointer and not r.var.is_const]
    for r in regs:
        for val in (r.var.smin, r.var.umax, r.var.smax):
            out.append((val >> shift) & mask if val >= 0 else (val >> shift) & mask)
    out += [mask, 1 << (width - 1), (-8) & mask, 4096, 256, 64]
    seen: list[int] = []
    for x in out:
        if x not in seen:
            seen.append(x)
    return seen


def _replay(program: Any, prog_type: str | None, ce: Counterexample, ctx: bytearray,
            packet: bytearray | None, fills: list[tuple[str, int, int, int]],
            want: int | None) -> None:
    from ..errors import PybpfError, VMFault
    from ..vm import VM, make_map

    maps = {}
    for name, off, size, value in fills:
        decl = program.maps.get(name)
        if decl is None:
            return
        m = make_map(decl.type, decl.name, key_size=decl.key_size, value_size=decl.value_size,
                     max_entries=decl.max_entries)
        for key in range(min(decl.max_entries, 1024)):
            buf = bytearray(decl.value_size)
            buf[off:off + size] = value.to_bytes(size, "little")
            m.update(key.to_bytes(decl.key_size, "little"), bytes(buf))
        maps[name] = m
    vm = VM(maps=maps, max_insns=1_000_000)
    try:
        if packet is not None and prog_type in ("xdp", "sched_cls"):
            vm.run(program, packet=packet, prog_type=prog_type)
        elif packet is not None:
            vm.run(program, mem=packet)
        else:
            vm.run(program, ctx=ctx)
    except VMFault as f:
        ce.fault_insn = f.pc
        ce.fault = f.message
        ce.replayed = want is not None and f.pc == want
    except PybpfError as exc:  # the VM cannot run this program (a helper it lacks...)
        text = re.sub(r"\s+", " ", str(exc))[:120]
        ce.fault = f"not replayed: {text}"


__all__ = ["Counterexample", "find_counterexample"]
