"""Counterexamples outside the catalog: the VM's helper contracts, the search, the output."""
from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from pybpf.asm import assemble
from pybpf.errors import VMFault
from pybpf.explain import explain_program
from pybpf.explain.counterexample import NO_COUNTEREXAMPLE
from pybpf.explain.cx_inputs import concretize
from pybpf.explain.schema import SCHEMA
from pybpf.verifier.helper_protos import ArgKind, proto
from pybpf.verifier.scalar import Scalar
from pybpf.vm import VM, make_map
from pybpf.vm.helpers import MEM_ARGS

RB = ".map rb ringbuf max_entries=4096\n"


@pytest.mark.parametrize("name", sorted(MEM_ARGS))
def test_vm_memory_contracts_are_the_verifiers(name):
    """Each memory argument the VM checks at a call is the one the verifier's helper table
    declares: a pointer to memory the helper writes (uninit) or reads, and its size kind."""
    args = proto(name).args
    for a in MEM_ARGS[name]:
        ptr, size = args[a.ptr - 1], args[a.size - 1]
        assert ptr.kind is ArgKind.PTR_TO_MEM and ptr.uninit == a.write, (name, ptr)
        want = ArgKind.CONST_SIZE_OR_ZERO if a.zero_ok else ArgKind.CONST_SIZE
        assert size.kind is want, (name, size)


def _skb_load(size: str) -> str:
    return f"r2 = 0\nr3 = r10\nr3 += -16\nr4 = {size}\ncall bpf_skb_load_bytes\nr0 = 0\nexit"


def test_helper_size_beyond_the_buffer_faults_at_the_call():
    ok = VM().run(assemble(_skb_load("16") + "\n"), ctx=bytes(192), packet=bytes(range(64)))
    assert ok.r0 == 0
    for size, words in (("17", "out of bounds of 'stack frame 0'"), ("0", "must be > 0"),
                        ("-1", "a negative size")):
        with pytest.raises(VMFault, match=words) as err:
            VM().run(assemble(_skb_load(size)), ctx=bytes(192), packet=bytes(64))
        assert err.value.pc == 4  # the call, not a later instruction


def test_helper_size_is_checked_in_all_64_bits():
    """The kernel's helpers take a 32-bit size; the verifier's contract is on the whole
    register, and so is the VM's check."""
    src = RB + ("*(u64 *)(r10 - 8) = 0\nr1 = rb ll\nr2 = r10\nr2 += -8\nr3 = 0x100000008 ll\n"
                "r4 = 0\ncall bpf_ringbuf_output\nr0 = 0\nexit")
    with pytest.raises(VMFault, match="4294967304"):
        VM(maps={"rb": make_map("ringbuf", "rb", max_entries=4096)}).run(assemble(src))


def test_concretize_stays_inside_the_abstract_value():
    for s in (Scalar.from_range(3, 17), Scalar.unknown(), Scalar.const(5),
              Scalar.from_range(-8, 4)):
        got = concretize(s)
        assert got and all(s.contains(x) for x in got)
    assert concretize(Scalar.from_range(-8, 4), negative=True)[0] == (-8) & ((1 << 64) - 1)


def test_index_from_a_hash_map_value_replays():
    src = """.map idx hash key=4 value=4 max_entries=8
.map tab array key=4 value=32 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = idx ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = *(u32 *)(r0 + 0)
r2 = r10
r2 += -4
r1 = tab ll
call bpf_map_lookup_elem
if r0 == 0 goto out
if r6 > 32 goto out
r0 += r6
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit"""
    e = explain_program(assemble(src), "socket_filter", counterexample=True)
    ce = e.counterexample
    assert ce.replayed and ce.fault_insn == e.insn, ce.to_json()
    assert ce.inputs["map idx at offset 0 (4 bytes)"] == 32
    assert "out of bounds of 'map value tab" in ce.fault
    jsonschema.validate(e.to_json(), SCHEMA)


def test_a_structural_rejection_says_why_there_is_none(tmp_path):
    f = tmp_path / "d.s"
    f.write_text("r0 = 1\nr0 /= 0\nexit\n")
    out = subprocess.run([sys.executable, "-m", "pybpf", "verify", str(f), "--type",
                          "socket_filter", "--counterexample", "--json"],
                         capture_output=True, text=True)
    doc = json.loads(out.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["counterexample"] is None
    assert doc["no_counterexample"] == NO_COUNTEREXAMPLE["div_by_zero"]
    text = subprocess.run([sys.executable, "-m", "pybpf", "verify", str(f), "--type",
                           "socket_filter", "--counterexample"], capture_output=True,
                          text=True).stdout
    assert "counterexample: none (the program text" in text
