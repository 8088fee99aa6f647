"""`pybpf.dsl.on`: a probe in one line, compiled from the line's own source by the same
compiler as a ``@probe`` function (the same instructions), its mistakes at their line."""

from __future__ import annotations

import ast
import textwrap

import pytest

from pybpf.dsl import Pending, at, comm, load_module, module_probes, nsecs, pid, tid
from pybpf.errors import DslError
from pybpf.isa import helper_id
from pybpf.isa.opcodes import CALL

from . import on_probes as P


@pytest.mark.tracefs
@pytest.mark.parametrize("line, body", [(P.syscalls, P.syscalls_def), (P.enter, P.enter_def),
                                        (P.leave, P.leave_def)])
def test_a_line_compiles_to_the_instructions_of_its_def(line, body):
    P.enter.compile()  # @start and @filename are typed by their first assignment
    P.enter_def.compile()
    assert line.compile().insns == body.compile().insns


@pytest.mark.tracefs
def test_builtins_without_parentheses_in_a_def_too():
    P.enter_def.compile()
    assert P.bare_def.compile().insns == P.leave_def.compile().insns


@pytest.mark.tracefs
def test_a_local_named_like_a_builtin_stays_the_local():
    calls = [i.imm for i in P.local_shadows.compile().insns if i.opcode == CALL and i.src == 0]
    assert helper_id("get_current_pid_tgid") not in calls
    bare = [i.imm for i in P.two_b.compile().insns if i.opcode == CALL and i.src == 0]
    assert helper_id("get_current_pid_tgid") in bare  # at.b.sum(pid): the builtin


def test_actions_become_the_statements_of_the_probe():
    assert ast.unparse(P.named.tree) == textwrap.dedent("""\
        def named(args):
            if at.start[tid] and pid > 1:
                lat = (nsecs - at.start[tid]) // 1000
                printf('%d %d\\n', lat, lat * 2)
                at.lat = hist(lat)""")
    assert ast.unparse(P.leave.tree).splitlines()[1:] == [
        "    if at.start[tid]:",
        "        printf('%-20s %-6d %10d us %s\\n', comm, pid, (nsecs - at.start[tid]) // 1000, "
        "at.filename[tid])",
        "        del at.start[tid], at.filename[tid]"]
    assert ast.unparse(P.returns.tree).splitlines()[1] == "    at.r = args.retval"


def test_two_lines_on_one_line_are_two_probes():
    assert ast.unparse(P.two_a.tree).splitlines()[1] == "    at.a = count()"
    assert ast.unparse(P.two_b.tree).splitlines()[1] == "    at.b = sum(pid)"
    assert (P.two_a.name, P.two_b.name) == ("sys_enter_1", "sys_enter_2")
    assert P.two_a.compile().insns != P.two_b.compile().insns


def test_a_probe_line_keeps_its_source_lines():
    prog = P.two_b.compile()
    texts = {ln.text for ln in prog.lines.values()}
    columns = {ln.column for ln in prog.lines.values()}
    assert texts == {"two_a, two_b = on(\"raw_tracepoint:sys_enter\", at.a.count()), "
                     "on(\"raw_tracepoint:sys_enter\", at.b.sum(pid))"}
    assert min(columns) > P.two_b.tree.col_offset > 0  # the second call's own columns


def test_print_and_retval_compile():
    P.two_a.compile()  # @a is typed by its count()
    assert P.printer.compile().insns
    assert P.returns.compile().insns


def test_the_module_keeps_lines_no_one_assigns(tmp_path):
    f = tmp_path / "count.py"
    f.write_text("from pybpf.dsl import at, comm, on, pid\n\n"
                 "on('tracepoint:raw_syscalls:sys_enter', at[comm].count())\n"
                 "on('raw_tracepoint:sys_enter', at.n.count(), when=pid == 1)\n")
    probes = module_probes(load_module(str(f)))
    assert [p.section for p in probes] == ["tracepoint:raw_syscalls:sys_enter",
                                           "raw_tracepoint:sys_enter"]


def test_python_sees_pending_values():
    assert repr(at.start[tid].set(nsecs)) == "<@start[...] = ...: computed in a probe, not in Python>"
    assert isinstance((nsecs - at.t[pid]) // 1000, Pending)
    assert isinstance(comm == "bash", Pending)
    assert repr(pid()) == "<pid(): computed in a probe, not in Python>"


def _mistake(tmp_path, code: str) -> DslError:
    f = tmp_path / "wrong.py"
    f.write_text("from pybpf.dsl import at, delete, on, pid\n" + code)
    with pytest.raises(DslError) as e:
        for p in module_probes(load_module(str(f))):
            p.compile()
    return e.value


@pytest.mark.parametrize("code, line, column, message", [
    ("on('raw_tracepoint:sys_enter', at.n[pid].bump())\n", 2, 32, "bump() is no map action"),
    ("on('raw_tracepoint:sys_enter', delete(pid))\n", 2, 39, "delete() deletes map entries"),
    ("on('raw_tracepoint:sys_enter', at.n[pid].set(1, 2))\n", 2, 32, "set(value) takes one value"),
    ("on('raw_tracepoint:sys_enter',\n   at.n[pid].count(), when=pid.x)\n", 3, 28, "attribute 'x'"),
    ("on('raw_tracepoint:sys_enter', *[at.n.count()])\n", 2, 32, "one by one"),
    ("on('tracepoint:nosuch:thing', at.n.count())\n", 2, None, "no such category 'nosuch'"),
])
def test_mistakes_are_reported_at_their_line(tmp_path, code, line, column, message):
    e = _mistake(tmp_path, code)
    assert (e.line, e.column) == (line, column), e
    assert message in str(e)
    assert e.filename.endswith("wrong.py")


def test_a_line_without_source_is_a_clear_error():
    with pytest.raises(DslError, match="reads its own source line"):
        exec(compile("from pybpf.dsl import at, on\non('BEGIN', at.x.count())\n", "<nowhere>",
                     "exec"), {})


def test_a_last_action_that_is_no_call_is_the_verdict():
    assert ast.unparse(P.verdict.tree).splitlines()[1] == \
        "    return XDP_DROP if pid == 1 else XDP_PASS"
    assert P.verdict.compile().insns  # (an XDP probe without a return is refused)
