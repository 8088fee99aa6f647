"""What the verifier keeps per program (pybpf.verifier.facts, prechecks) answers as if derived
again: a program verified twice, under another kernel or program type, or changed in place."""
from __future__ import annotations

import dataclasses

from pybpf.asm import assemble
from pybpf.isa import MapSpec
from pybpf.verifier import verify
from pybpf.verifier.facts import facts_of
from pybpf.verifier.kernel_profile import default
from pybpf.verifier.prechecks import map_report

LOOKUP = """
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
"""


def _fields(report):
    return (report.accepted, report.insn, report.message, report.processed_insns,
            report.error_class, report.insn_text, report.registers, report.origin)


def _program(text: str, value_size: int = 8):
    p = assemble(text)
    p.maps["m"] = MapSpec("m", "array", 4, value_size, 1)
    return p


def test_same_program_same_report():
    p = _program(LOOKUP)
    first = verify(p, "socket_filter")
    assert first.accepted
    assert _fields(verify(p, "socket_filter")) == _fields(first)
    again = _program(LOOKUP)
    assert facts_of(again) is facts_of(p)  # one instruction sequence, one set of facts
    assert _fields(verify(again, "socket_filter")) == _fields(first)


def test_rejection_reported_again_in_full():
    p = _program(LOOKUP, value_size=4)  # the 8-byte load overruns the 4-byte value
    first = verify(p, "socket_filter")
    assert not first.accepted and first.insn_text
    assert _fields(verify(p, "socket_filter")) == _fields(first)


def test_program_changed_in_place_is_judged_again():
    p = _program(LOOKUP)
    assert verify(p, "socket_filter").accepted
    load = len(p.insns) - 3
    p.insns[load] = p.insns[load].replace(off=8)  # past the 8-byte value
    r = verify(p, "socket_filter")
    assert not r.accepted and r.error_class == "map_value_oob"


def test_facts_per_kernel_and_program_type():
    p = _program(LOOKUP)
    facts = facts_of(p)
    k = default()
    other = dataclasses.replace(k, name=k.name + "-copy")
    cfg = facts.cfg(k)
    assert facts.cfg(k) is cfg and facts.cfg(other) is not cfg
    assert facts.cfg(other) == cfg
    assert verify(p, "socket_filter", kernel=other).accepted
    assert verify(p, "xdp").accepted and verify(p, "socket_filter").accepted


def test_map_judged_by_its_fields_now():
    p = _program(LOOKUP)
    assert map_report(p) is None
    p.maps["m"].key_size = 8  # an array's key is 4 bytes
    bad = map_report(p)
    assert bad is not None and bad.error_class == "bad_map"
    p.maps["m"].key_size = True  # not an integer
    assert map_report(p) is not None
    p.maps["m"].key_size = 4
    assert map_report(p) is None


def test_map_changed_after_a_verification():
    p = _program(LOOKUP)
    assert verify(p, "socket_filter").accepted
    p.maps["m"].value_size = 4  # the 8-byte load now overruns the value
    r = verify(p, "socket_filter")
    assert not r.accepted and r.error_class == "map_value_oob"
    p.maps["m"].value_size = 8
    assert verify(p, "socket_filter").accepted
