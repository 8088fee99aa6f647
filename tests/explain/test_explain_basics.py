"""pybpf.explain on small programs: source lines, provenance, kinds, hints, JSON."""
from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

from pybpf.asm import assemble
from pybpf.explain import explain_program
from pybpf.explain.schema import SCHEMA
from pybpf.explain.source import language, line_of
from pybpf.isa.program import SourceLine

LOOKUP = (".map m hash key=4 value=8 max_entries=4\n*(u32 *)(r10 - 4) = 0\nr2 = r10\n"
          "r2 += -4\nr1 = m ll\ncall bpf_map_lookup_elem\n")


def test_nearest_preceding_line_record():
    p = assemble("r0 = 0\nr1 = 1\nr0 += r1\nexit")
    p.lines = {0: SourceLine("a.c", 3, 1, "int x = 0;"), 2: SourceLine("a.c", 5, 1, "x += y;")}
    assert [line_of(p, i).line for i in range(4)] == [3, 3, 5, 5]
    assert language(p) == "c"


def test_null_deref_points_at_the_lookup():
    e = explain_program(assemble(LOOKUP + "r1 = r0\nr0 = *(u64 *)(r1 + 0)\nexit", filename="n.s"),
                        "socket_filter")
    assert e.message == "R1 invalid mem access 'map_value_or_null'"
    assert (e.line, e.kind, e.language) == (8, "program", "asm")
    assert [(s.slot, s.role) for s in e.provenance] == [(5, "source"), (6, "copy")]
    assert e.root_cause is not None and e.root_cause.line.line == 6
    assert "if r1 == 0" in e.hint


def test_helper_clobber_is_the_root_cause():
    e = explain_program(assemble("r6 = r1\ncall bpf_ktime_get_ns\nr0 = *(u32 *)(r1 + 0)\nexit",
                                 filename="c.s"), "socket_filter")
    assert e.message == "R1 !read_ok"
    assert e.root_cause is not None and e.root_cause.role == "clobber" and e.root_cause.slot == 1


def test_bound_lost_through_a_narrow_spill():
    src = LOOKUP + """if r0 == 0 goto out
r6 = r0
r1 = *(u32 *)(r6 + 0)
if r1 > 7 goto out
*(u32 *)(r10 - 16) = r1
r1 = *(u64 *)(r10 - 16)
r6 += r1
r0 = *(u8 *)(r6 + 0)
out:
r0 = 0
exit"""
    e = explain_program(assemble(src, filename="s.s"), "socket_filter")
    assert not e.accepted
    roles = [s.role for s in e.provenance]
    assert "lost" in roles, e.text()


def test_ringbuf_reserve_hint_says_constant_size():
    src = """.map rb ringbuf max_entries=4096
r6 = r1
r1 = *(u32 *)(r6 + 0)
r1 &= 63
r2 = r1
r1 = rb ll
r3 = 0
call bpf_ringbuf_reserve
r0 = 0
exit"""
    e = explain_program(assemble(src), "socket_filter")
    assert not e.accepted
    assert "constant" in e.hints["c"] and "bpf_ringbuf_output" in e.hints["c"]
    assert "bound the size register" not in e.hint


def test_jump_sequence_limit_is_not_called_the_instruction_limit():
    src = "r1 = *(u32 *)(r1 + 0)\n" + "\n".join(f"if r1 == {i} goto +0" for i in range(8300)) \
        + "\nr0 = 0\nexit"
    e = explain_program(assemble(src), "socket_filter")
    if e.message_key != "jumps_too_complex":
        pytest.skip(f"pybpf gave {e.message!r}")
    assert "8,192" in e.explanation and "1,000,000" not in e.explanation
    assert e.kind == "verifier_limit"


@pytest.mark.parametrize("src", ["r0 = 0\nexit", LOOKUP + "r0 = *(u64 *)(r0 + 0)\nexit",
                                 "r0 = *(u64 *)(r10 - 8)\nexit"])
def test_verify_json_matches_the_schema(tmp_path, src):
    f = tmp_path / "p.s"
    f.write_text(src)
    out = subprocess.run([sys.executable, "-m", "pybpf", "verify", str(f), "--type",
                          "socket_filter", "--json"], capture_output=True, text=True)
    doc = json.loads(out.stdout)
    jsonschema.validate(doc, SCHEMA)
    if not doc["accepted"]:
        assert doc["file"] == str(f) and doc["line"] and doc["insn_text"] and doc["hint"]


def test_verify_a_probe_file_that_fails_to_import(tmp_path):
    f = tmp_path / "broken.py"
    f.write_text("x = 1 / 0\n")
    out = subprocess.run([sys.executable, "-m", "pybpf", "verify", str(f)], capture_output=True,
                         text=True)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "cannot import the probe file: ZeroDivisionError" in out.stderr


def test_explain_reads_libbpf_output():
    log = """libbpf: prog 'count': BPF program load failed: Permission denied
libbpf: prog 'count': -- BEGIN PROG LOAD LOG --
0: R1=ctx() R10=fp0
; __u64 *val = bpf_map_lookup_elem(&counts, &key); @ null.c:15
6: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1,map=counts,ks=4,vs=8)
; *val += 1; @ null.c:16
7: (79) r1 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
-- END PROG LOAD LOG --
libbpf: prog 'count': failed to load: -13
"""
    from pybpf.explain.fromlog import explain_log

    e = explain_log(log)
    assert (e.program, e.insn, e.error_class, e.line, e.language) == ("count", 7, "null_deref", 16, "c")
    assert e.root_cause is not None and e.root_cause.line.line == 15
    jsonschema.validate(e.to_json(), SCHEMA)


def test_dsl_check_gives_the_fix_in_python():
    """A DSL probe the verifier rejects is told with the Python fix, not the assembly one."""
    from pybpf.dsl import compile_probe
    from pybpf.errors import DslError
    from tests.dsl import wrong_probes

    with pytest.raises(DslError) as err:
        compile_probe(wrong_probes.xdp_stack_id_in_branch, "xdp")
    text = str(err.value)
    assert "fix: " in text and "probe type: attach elsewhere" in text
    assert "load it as a type" not in text and "goto <out>" not in text
