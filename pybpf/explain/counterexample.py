"""Counterexamples: concrete inputs consistent with the abstract state at the failing
instruction, replayed in `pybpf.vm` to show the fault happening.

The inputs a program takes on the path the verifier rejected (map entries present or not,
the bytes it loads from map values, the context and the packet, the packet's length) are
`pybpf.explain.cx_inputs.Choice`s, each with candidate values taken from the verifier's
abstract values. `find_counterexample` searches them, one choice at a time, for a run
(`pybpf.explain.cx_replay.replay`) that faults at the instruction the kernel named,
preferring runs that follow the verifier's failing path further. The counterexample is
*replayed* when the VM faults there: its checked memory (a NULL or out-of-bounds access,
a helper's memory argument that breaks the helper's contract, the call depth, a ring
buffer record still held at exit) or the replay's check of the rule the kernel applies at
that instruction (pointer arithmetic leaving its object, the return value).

Some rejections have no counterexample: the rule is about the program's text, its types
or its environment, and no input changes what happens. `no_counterexample` says which and
why (`NO_COUNTEREXAMPLE`, documented in docs/verifier-errors.md).

>>> from pybpf.asm import assemble
>>> from pybpf.explain import explain_program
>>> p = assemble(".map m hash key=4 value=8 max_entries=4\\n*(u32 *)(r10 - 4) = 0\\nr2 = r10\\nr2 += -4\\nr1 = m ll\\ncall bpf_map_lookup_elem\\nr0 = *(u64 *)(r0 + 0)\\nexit")
>>> c = explain_program(p, "socket_filter", counterexample=True).counterexample
>>> c.replayed, c.fault_insn
(True, 6)
>>> explain_program(assemble("r0 = 0\\nr0 <<= 64\\nexit"), "socket_filter",
...                 counterexample=True).no_counterexample.split(":")[0]
'the program text'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .cx_inputs import Choice, collect
from .cx_replay import Outcome, replay

#: VM runs one search may make
BUDGET = 400

_TEXT = "the program text: "
_TYPES = "a rule on types: "
_ENV = "the environment: "
#: why a rejection has no counterexample, by case (`counterexample_case`)
NO_COUNTEREXAMPLE: dict[str, str] = {
    "compiler": "the source is correct: the compiler's lowering hid a bound from the verifier "
                "(it checked one copy of the value and used another), but no input makes a run "
                "fault; the kernel refuses a proof it cannot make, not a fault that can happen",
    "uninit_register": "no value to choose: the register was never written on this path "
                       "(or a call clobbered it), so any run that gets here reads garbage",
    "invalid_shift": _TEXT + "the shift amount is a constant of the instruction",
    "div_by_zero": _TEXT + "the divisor is the constant 0 (at run time BPF defines x/0 = 0: "
                           "nothing faults)",
    "frame_pointer_write": _TEXT + "the instruction writes r10, whatever the inputs",
    "unreachable_insn": _TEXT + "no path reaches the instruction, so no run executes it",
    "jump_out_of_range": _TEXT + "the jump's target is outside the program, which cannot run",
    "infinite_loop": _TEXT + "the loop has no way out on this path: a run never faults, it "
                             "never ends",
    "stack_misaligned": "a rule of the verifier: stack accesses must be aligned to their "
                        "size; the bytes themselves are inside the frame",
    "ctx_modified": "a rule of the context: the kernel rewrites context accesses at fixed "
                    "offsets, so a moved context pointer is refused whatever it points at",
    "call_depth/combined_stack": "a static limit: the frames' sizes added up exceed 512 "
                                 "bytes; every access stays inside its own frame",
    "helper_arg_size/constant": _TEXT + "the size must be a constant; every concrete size "
                                        "a run passes is one",
    "pointer_bitwise": _TYPES + "bitwise operations on a pointer are refused whatever its "
                                "value",
    "helper_arg_type": _TYPES + "the argument has the wrong type, whatever its value",
    "helper_map_mismatch": _TYPES + "the helper does not take this kind of map",
    "helper_not_allowed": _ENV + "the program type may not call this helper",
    "ld_abs_not_allowed": _ENV + "the program type may not use legacy packet loads",
    "unknown_helper": _ENV + "the kernel has no such helper",
    "license": _ENV + "the helper is GPL-only and the program's license is not",
    "packet_write": _ENV + "the program type may only read the packet",
}


@dataclass
class Counterexample:
    """Concrete inputs and what the VM did with them."""

    registers: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False
    fault_insn: int | None = None
    fault: str | None = None

    def describe_inputs(self) -> str:
        """The inputs in words (``map m = no entry ..., context at offset 0 (4 bytes) =
        0xffffffff``); "any input" when none matters."""
        return ", ".join(f"{k} = {_num(v)}" for k, v in self.inputs.items()) or "any input"

    def text(self) -> str:
        what = self.describe_inputs()
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


def _num(v: Any) -> str:
    if not isinstance(v, int) or v <= 0xFFFF:
        return str(v)
    for width in (8, 16, 32, 64):
        if v < 1 << width:
            break
    neg = v - (1 << width) if v >> (width - 1) else None
    return f"{v:#x}" + (f" ({neg})" if neg is not None else "")


def counterexample_case(e: Any) -> str:
    """The case of `NO_COUNTEREXAMPLE` (or of the classes that have counterexamples) the
    rejection ``e`` (an `Explanation`) falls in."""
    msg = (e.message or "").splitlines()[-1] if e.message else ""
    cls = e.error_class or ""
    if e.kind == "compiler":
        return "compiler"
    if cls == "helper_arg_size" and "is not a known constant" in msg:
        return "helper_arg_size/constant"
    if cls == "call_depth" and e.message_key == "combined_stack":
        return "call_depth/combined_stack"
    return cls


def no_counterexample(e: Any) -> str | None:
    """Why rejection ``e`` has no counterexample, or None when it may have one."""
    return NO_COUNTEREXAMPLE.get(counterexample_case(e))


def find_counterexample(program: Any, prog_type: str | None, e: Any, v: Any, trace: Any, *,
                        maps: Any = None) -> Counterexample | None:
    """A counterexample for explanation ``e`` of ``program`` (verified as ``v``, whose
    failing path ``trace`` recorded), or None when its case has none or the failing
    instruction is unknown."""
    if no_counterexample(e) is not None or e.insn is None or trace.failing_insn is None:
        return None
    choices = collect(v, trace, e, prog_type)
    maprefs = {r.name: r for r in v.maprefs.values()}
    by_slot = {v.slots[i]: ins for i, ins in enumerate(v.insns)}
    path = [v.slots[n.insn] for n in trace.failing_path()] + [e.insn]
    message = e.message or ""
    runs = 0

    def run(assign: dict[Any, Any]) -> Outcome:
        nonlocal runs
        runs += 1
        return replay(program, prog_type, by_slot, maprefs, choices, assign, e.insn,
                      e.error_class, message)

    def good(o: Outcome) -> bool:
        return o.memory_fault and o.fault_pc == e.insn

    assign = {c.key: c.cands[0] for c in choices if c.cands}
    best = run(assign)
    best_score = best.score(path)
    for _round in range(3):
        if good(best) or runs >= BUDGET:
            break
        improved = False
        for c in choices:
            for val in c.cands:
                if good(best) or runs >= BUDGET:
                    break
                if val == assign.get(c.key):
                    continue
                trial = dict(assign)
                trial[c.key] = val
                o = run(trial)
                s = o.score(path)
                if good(o) or s > best_score:
                    assign, best, best_score, improved = trial, o, s, True
        if not improved:
            break
    if good(best):  # keep only the inputs that matter: others back to a neutral value
        for c in choices:
            neutral = _NEUTRAL.get(c.kind, 0)
            if assign.get(c.key) == neutral or runs >= BUDGET:
                continue
            trial = dict(assign)
            trial[c.key] = neutral
            o = run(trial)
            if good(o):
                assign, best = trial, o
    return _result(best, good(best), choices, assign, e, v, prog_type)


#: the value of a choice that says nothing about the fault (not shown)
_NEUTRAL: dict[str, Any] = {"map": True, "packet": 64, "load": 0}


def _result(o: Outcome, ok: bool, choices: list[Choice], assign: dict[Any, Any], e: Any,
            v: Any, prog_type: str | None) -> Counterexample:
    ce = Counterexample(replayed=ok, fault_insn=o.fault_pc, fault=o.fault)
    from .cx_inputs import SKB_TYPES

    skb = prog_type in SKB_TYPES
    loaded = {c.name for c in choices if c.kind == "load" and assign.get(c.key)}
    for c in choices:
        val = assign.get(c.key)
        if val == _NEUTRAL.get(c.kind, 0) and not (c.kind == "map" and f"map {c.name}" in loaded):
            continue
        if c.kind == "map":
            keys = o.keys.get(c.name) or []
            ce.inputs[c.label()] = ("an entry for the key looked up" +
                                    (f" ({', '.join(keys[:2])})" if keys else "")) if val \
                else "no entry (bpf_map_lookup_elem returns NULL)"
        elif c.kind == "packet":
            ce.inputs["packet (and skb->len)" if skb else "packet"] = f"{val} bytes"
        else:
            ce.inputs[c.label()] = val
    if o.regs:
        idx = v.index.get(e.insn)
        ins = v.insns[idx] if idx is not None else None
        named = [int(r[1:]) for r in e.registers or ()]
        if ins is not None:
            from ..isa import Class, JmpOp

            if ins.cls in (Class.JMP, Class.JMP32) and ins.op == JmpOp.CALL:
                named += [1, 2, 3, 4, 5]
            elif ins.op != JmpOp.EXIT or ins.cls not in (Class.JMP, Class.JMP32):
                named += [ins.dst, ins.src] if ins.uses_src_reg else [ins.dst]
            else:
                named.append(0)
        for n in sorted(set(named)):
            if n < len(o.regs):
                ce.registers[f"R{n}"] = o.regs[n]
    return ce


__all__ = ["NO_COUNTEREXAMPLE", "Counterexample", "counterexample_case", "find_counterexample",
           "no_counterexample"]
