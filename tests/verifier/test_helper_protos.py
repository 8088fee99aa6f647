"""The helper fact table: internal consistency, and its predictions against the live kernel.

Kernel tests build probes from the table: every argument set to a value of
the kind the table says (a map of a compatible type, initialised stack for
keys/values/read-only memory, uninitialised stack where the helper writes, a
constant size, the context) must be accepted; replacing one argument by a
value of a wrong kind must be rejected; calling from a program type the table
excludes, or from a non-GPL program when the table says GPL-only, must be
rejected; and a map of a type `map_func_compatible` refuses must be refused.
"""
from __future__ import annotations

import contextlib

import pytest

from pybpf.errors import ProgLoadError
from pybpf.isa import (
    CALL,
    EXIT,
    LDDW,
    AluOp,
    Class,
    Insn,
    MapSpec,
    Mode,
    ProgramSpec,
    PseudoSrc,
    Size,
    Source,
)
from pybpf.isa.generated.helpers_table import HELPERS
from pybpf.verifier.helper_protos import (
    HELPER_MAP_TYPES,
    HELPER_PROTOS,
    MAP_ONLY_HELPERS,
    PROBED_PROG_TYPES,
    ArgKind,
    RetKind,
    allowed,
    map_func_compatible,
    proto,
)

MOST_USED = """map_lookup_elem map_update_elem map_delete_elem map_push_elem map_pop_elem
map_peek_elem ringbuf_output ringbuf_reserve ringbuf_submit ringbuf_discard ringbuf_query
perf_event_output probe_read_user probe_read_kernel probe_read_user_str probe_read_kernel_str
get_current_pid_tgid get_current_uid_gid get_current_comm get_current_task ktime_get_ns
ktime_get_boot_ns get_prandom_u32 get_smp_processor_id trace_printk tail_call loop
for_each_map_elem skb_load_bytes skb_store_bytes xdp_adjust_head xdp_adjust_tail
xdp_adjust_meta redirect redirect_map l3_csum_replace l4_csum_replace csum_diff get_stackid
get_stack send_signal spin_lock spin_unlock timer_init timer_start timer_set_callback
timer_cancel snprintf probe_read get_current_cgroup_id sk_lookup_tcp sk_release fib_lookup
skb_change_tail skb_adjust_room get_socket_cookie strncmp jiffies64 get_func_ip""".split()


# -- consistency ---------------------------------------------------------------

def test_one_row_per_helper_of_the_kernel_list():
    assert set(HELPER_PROTOS) == {h for h in HELPERS if h}
    for num, p in HELPER_PROTOS.items():
        assert p.name == HELPERS[num][0] and p.id == num
    assert proto("bpf_map_lookup_elem") is proto(1)
    with pytest.raises(KeyError):
        proto("no_such_helper")


def test_most_used_helpers_have_rows():
    missing = [n for n in MOST_USED if not proto(n).known]
    assert not missing
    assert sum(p.known for p in HELPER_PROTOS.values()) >= 60


def test_rows_are_well_formed():
    for p in HELPER_PROTOS.values():
        if not p.known:
            assert p.args == ()
            continue
        assert len(p.args) <= 5, p.name
        for i, a in enumerate(p.args):
            if a.kind in (ArgKind.PTR_TO_MEM,) and i + 1 < len(p.args) and p.args[i + 1].is_size:
                continue
            if a.kind in (ArgKind.CONST_SIZE, ArgKind.CONST_SIZE_OR_ZERO):
                # a size always follows the memory it measures
                assert i > 0 and p.args[i - 1].kind in (ArgKind.PTR_TO_MEM,), p.name
        if p.acquires:
            assert p.ret_nullable and p.ret is not RetKind.INTEGER, p.name
        assert sum(a.release for a in p.args) <= 1, p.name
        if p.map_types is not None:
            assert any(a.kind is ArgKind.CONST_MAP_PTR for a in p.args), p.name
    assert proto("ringbuf_submit").releases == 0
    assert proto("tail_call").ret is RetKind.VOID


def test_map_compatibility_tables_agree():
    for helper, maps in HELPER_MAP_TYPES.items():
        for m in maps:
            only = MAP_ONLY_HELPERS.get(m)
            assert only is None or helper in only, (helper, m)
            assert map_func_compatible(m, helper)
    assert not map_func_compatible("hash", "tail_call")
    assert not map_func_compatible("prog_array", "map_lookup_elem")
    assert map_func_compatible("array", "map_update_elem")


def test_availability_is_plausible():
    assert "xdp" in PROBED_PROG_TYPES and "socket_filter" in PROBED_PROG_TYPES
    for name in ("map_lookup_elem", "get_prandom_u32", "tail_call", "ktime_get_ns"):
        assert all(allowed(name, t) for t in PROBED_PROG_TYPES), name
    assert allowed("xdp_adjust_head", "xdp") and not allowed("xdp_adjust_head", "sched_cls")
    assert allowed("probe_read_kernel", "kprobe") and proto("probe_read_kernel").gpl_only


# -- kernel probes ---------------------------------------------------------------

MAP_SHAPES = {  # map type -> key, value, max_entries
    "hash": (4, 8, 16), "array": (4, 8, 4), "ringbuf": (0, 0, 4096), "prog_array": (4, 4, 4),
    "perf_event_array": (4, 4, 0), "stack_trace": (4, 64, 16), "queue": (0, 8, 16),
    "stack": (0, 8, 16), "cgroup_array": (4, 4, 1), "devmap": (4, 4, 4), "percpu_hash": (4, 8, 4),
    "bloom_filter": (0, 8, 16),
}
PREFERRED = ["sched_cls", "xdp", "kprobe", "socket_filter", "tracepoint", "cgroup_skb"]
SUPPORTED = {ArgKind.ANYTHING, ArgKind.CONST_MAP_PTR, ArgKind.PTR_TO_MAP_KEY, ArgKind.PTR_TO_MAP_VALUE,
             ArgKind.PTR_TO_MEM, ArgKind.CONST_SIZE, ArgKind.CONST_SIZE_OR_ZERO, ArgKind.PTR_TO_CTX,
             ArgKind.CONST_ALLOC_SIZE_OR_ZERO}


def _mov_imm(r: int, imm: int) -> Insn:
    return Insn(Class.ALU64 | AluOp.MOV | Source.K, dst=r, imm=imm)


def _fp(r: int, off: int) -> list[Insn]:
    return [Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=r, src=10),
            Insn(Class.ALU64 | AluOp.ADD | Source.K, dst=r, imm=off)]


@contextlib.contextmanager
def _map(mtype: str):
    from pybpf.kernel.maps import Map, possible_cpus

    k, v, n = MAP_SHAPES[mtype]
    m = Map.create(MapSpec(type=mtype, key_size=k, value_size=v, max_entries=n or possible_cpus()))
    try:
        yield m
    finally:
        m.close()


def _arg_insns(reg: int, kind: ArgKind, value: str, map_fd: int) -> list[Insn]:
    if value == "right":
        if kind is ArgKind.CONST_MAP_PTR:
            return [Insn(LDDW, dst=reg, src=PseudoSrc.MAP_FD, imm=map_fd)]
        if kind is ArgKind.PTR_TO_MAP_KEY:
            return _fp(reg, -16)
        if kind is ArgKind.PTR_TO_MAP_VALUE:
            return _fp(reg, -32)
        if kind is ArgKind.PTR_TO_MEM:
            return _fp(reg, -64)
        if kind in (ArgKind.CONST_SIZE, ArgKind.CONST_SIZE_OR_ZERO, ArgKind.CONST_ALLOC_SIZE_OR_ZERO):
            return [_mov_imm(reg, 8)]
        if kind is ArgKind.PTR_TO_CTX:
            return [Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=reg, src=6)]
        return [_mov_imm(reg, 0)]
    if value == "uninit":  # never-written stack
        return _fp(reg, -128)
    if value == "scalar":
        return [_mov_imm(reg, 0)]
    if value == "stack":
        return _fp(reg, -8)
    if value == "negative":
        return [_mov_imm(reg, -1)]
    raise AssertionError(value)


def _probe(p, values: list[str], map_fd: int) -> list[Insn]:
    insns = [Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=6, src=1)]
    insns += [Insn(Class.ST | Mode.MEM | Size.DW, dst=10, off=-8 * (i + 1), imm=0) for i in range(8)]
    for i, (a, v) in enumerate(zip(p.args, values, strict=True)):
        insns += _arg_insns(i + 1, a.kind, v, map_fd)
    return insns + [Insn(CALL, imm=p.id), _mov_imm(0, 0), Insn(EXIT)]


def _verdict(insns: list[Insn], prog_type: str, license: str = "GPL") -> tuple[bool, str]:
    from pybpf.kernel.prog import LoadOptions, load

    try:
        with load(ProgramSpec(insns).replace(license=license), prog_type, options=LoadOptions(log_level=1)) as prog:
            return True, prog.log
    except ProgLoadError as e:
        return False, e.log


def _probe_cases():
    for p in HELPER_PROTOS.values():
        if not p.known or p.acquires or p.might_sleep or any(a.release for a in p.args) or \
                p.name in ("snprintf", "probe_write_user", "get_local_storage"):
            continue
        if not all(a.kind in SUPPORTED for a in p.args):
            continue
        yield p.name


def _prog_type_for(name: str) -> str | None:
    """The first preferred program type that may call ``name`` on this kernel (its measured
    profile: kernel builds differ, e.g. bpf_xdp_adjust_meta is refused in XDP on some)."""
    from pybpf.verifier.kernel_profile import default

    return next((t for t in PREFERRED if default().allows(proto(name).id, t)), None)


def _wrong_values(p) -> list[tuple[int, str]]:
    """(argument index, wrong value) pairs the table says must be refused."""
    out = []
    for i, a in enumerate(p.args):
        if a.kind is ArgKind.CONST_MAP_PTR:
            out.append((i, "stack"))
        elif a.kind in (ArgKind.PTR_TO_MAP_KEY, ArgKind.PTR_TO_MAP_VALUE) and not a.uninit:
            # (uninitialised stack is no wrong value: privileged programs may read it)
            out.append((i, "scalar"))
        elif a.kind is ArgKind.PTR_TO_MEM and not a.nullable:
            out.append((i, "scalar"))
        elif a.kind is ArgKind.PTR_TO_CTX and not a.nullable:
            out.append((i, "stack"))
        elif a.kind is ArgKind.CONST_SIZE:
            out.append((i, "negative"))
    return out


def _right_values(p) -> list[str]:
    # uninitialised stack is right where the helper only writes
    return ["uninit" if (a.uninit and a.kind is ArgKind.PTR_TO_MEM) else "right" for a in p.args]


CASES = sorted(_probe_cases())


@pytest.mark.kernel
@pytest.mark.parametrize("name", CASES)
def test_table_predicts_kernel_verdicts(name):
    p = proto(name)
    prog_type = _prog_type_for(name)
    if prog_type is None:  # no preferred type may call it here: the kernel must agree
        for t in PREFERRED:
            with _map("hash") as m:
                ok, log = _verdict(_probe(p, _right_values(p), m.fd), t)
            assert not ok and "cannot use helper" in log, (name, t, log)
        return
    mtype = next(t for t in sorted(p.map_types) if t in MAP_SHAPES) if p.map_types else "hash"
    with _map(mtype) as m:
        ok, log = _verdict(_probe(p, _right_values(p), m.fd), prog_type)
        assert ok, f"{name} with right arguments refused:\n{log}"
        for i, wrong in _wrong_values(p):
            values = _right_values(p)
            values[i] = wrong
            ok, log = _verdict(_probe(p, values, m.fd), prog_type)
            assert not ok, f"{name}: R{i + 1}={wrong} ({p.args[i]}) accepted"
        if p.gpl_only:
            ok, log = _verdict(_probe(p, _right_values(p), m.fd), prog_type, license="MIT")
            assert not ok and "GPL" in log
        others = [t for t in ("xdp", "kprobe", "socket_filter", "cgroup_sysctl") if t not in p.prog_types]
        for t in others[:1]:
            ok, log = _verdict(_probe(p, _right_values(p), m.fd), t)
            assert not ok and ("cannot use helper" in log or "unknown func" in log), (name, t, log)


MAP_PAIRS = [("hash", "map_lookup_elem"), ("cgroup_array", "map_lookup_elem"), ("hash", "ringbuf_output"),
             ("ringbuf", "ringbuf_output"), ("array", "tail_call"), ("prog_array", "tail_call"),
             ("ringbuf", "perf_event_output"), ("perf_event_array", "perf_event_output"),
             ("queue", "map_push_elem"), ("hash", "map_push_elem"), ("stack_trace", "get_stackid"),
             ("hash", "get_stackid"), ("prog_array", "map_lookup_elem"), ("array", "map_update_elem"),
             ("bloom_filter", "map_pop_elem"), ("stack", "map_pop_elem")]


@pytest.mark.kernel
@pytest.mark.parametrize("mtype,name", MAP_PAIRS)
def test_map_compatibility_matches_kernel(mtype, name):
    p = proto(name)
    ptype = _prog_type_for(name)
    with _map(mtype) as m:
        values = _right_values(p)
        ok, log = _verdict(_probe(p, values, m.fd), ptype)
    expected = map_func_compatible(mtype, name)
    if expected:
        assert "cannot pass map_type" not in log, log
    else:
        # tail_call has its own earlier check (record_func_map)
        assert not ok and ("cannot pass map_type" in log
                           or "expected prog array map for tail call" in log), log


RB = ".map rb ringbuf key=0 value=0 max_entries=4096\n"
RESERVE = RB + "r1 = rb ll\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\n"
#: (name, assembly, what the table predicts: accepted?). A callback that the kernel
#: accepts needs BTF func_info ("missing btf func_info" otherwise), so only the
#: wrong-kind callback is probed here.
REF_AND_CALLBACK_CASES = [
    ("reserve then submit the reference", RESERVE + "if r0 == 0 goto +3\nr1 = r0\nr2 = 0\n"
     "call bpf_ringbuf_submit\nr0 = 0\nexit", True),
    ("reserve then discard", RESERVE + "if r0 == 0 goto +3\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_discard\n"
     "r0 = 0\nexit", True),
    ("submit a stack pointer", "r1 = r10\nr1 += -8\nr2 = 0\ncall bpf_ringbuf_submit\nr0 = 0\nexit", False),
    ("submit before the null check", RESERVE + "r1 = r0\nr2 = 0\ncall bpf_ringbuf_submit\nr0 = 0\nexit",
     False),
    ("reserve without release", RESERVE + "r0 = 0\nexit", False),
    ("loop with a scalar for the callback", "r1 = 4\nr2 = 0\nr3 = 0\nr4 = 0\ncall bpf_loop\nr0 = 0\n"
     "exit", False),
]


def test_reference_and_callback_rows():
    assert proto("ringbuf_reserve").acquires and proto("ringbuf_reserve").ret_nullable
    for name in ("ringbuf_submit", "ringbuf_discard"):
        a = proto(name).args[0]
        assert a.kind is ArgKind.PTR_TO_RINGBUF_MEM and a.release
    assert proto("loop").args[1].kind is ArgKind.PTR_TO_FUNC
    assert proto("loop").args[2].kind is ArgKind.PTR_TO_STACK and proto("loop").args[2].nullable


@pytest.mark.kernel
@pytest.mark.parametrize("what,src,accepted", REF_AND_CALLBACK_CASES,
                         ids=[c[0] for c in REF_AND_CALLBACK_CASES])
def test_reference_and_callback_kinds_on_kernel(what, src, accepted):
    from pybpf.asm import assemble

    ok, log = _verdict_program(assemble(src), "socket_filter")
    assert ok == accepted, f"{what}:\n{log}"
    if what.startswith("loop"):
        assert "R2 type=scalar expected=func" in log, log


def _verdict_program(program: ProgramSpec, prog_type: str) -> tuple[bool, str]:
    from pybpf.kernel.prog import LoadOptions, load

    try:
        with load(program, prog_type, options=LoadOptions(log_level=1)) as prog:
            return True, prog.log
    except ProgLoadError as e:
        return False, e.log


_UNPRIV_LOADER = """
import sys
from pybpf.errors import ProgLoadError
from pybpf.isa import ProgramSpec
from pybpf.kernel.prog import LoadOptions, load
try:
    with load(ProgramSpec.from_bytes(bytes.fromhex(sys.stdin.read())), sys.argv[1],
              options=LoadOptions(log_level=1)):
        print("ACCEPTED")
except ProgLoadError as e:
    print("REJECTED")
    print(e.log)
"""

#: (helper, argument index probed with never-written stack, program type)
UNINIT_CASES = [("map_lookup_elem", 1, "socket_filter"), ("map_update_elem", 2, "socket_filter"),
                ("ringbuf_output", 1, "socket_filter"), ("skb_load_bytes", 2, "sched_cls"),
                ("map_pop_elem", 1, "socket_filter"), ("csum_diff", 0, "sched_cls")]


@pytest.mark.kernel
@pytest.mark.parametrize("name,index,prog_type", UNINIT_CASES, ids=[c[0] for c in UNINIT_CASES])
def test_uninit_flag_predicts_unprivileged_verdict(name, index, prog_type):
    """Without CAP_PERFMON the verifier refuses reads of never-written stack: an argument
    the table marks ``uninit`` (the helper writes it) may point there, any other may not."""
    import shutil
    import subprocess
    import sys

    p = proto(name)
    values = _right_values(p)
    values[index] = "uninit"
    mtype = next(t for t in sorted(p.map_types) if t in MAP_SHAPES) if p.map_types else "hash"
    with _map(mtype) as m:
        code = ProgramSpec(_probe(p, values, m.fd)).encode().hex()
        out = subprocess.run([shutil.which("setpriv") or "setpriv", "--bounding-set=-perfmon,-sys_admin",
                              sys.executable, "-c", _UNPRIV_LOADER, prog_type], input=code,
                             capture_output=True, text=True, timeout=60, check=True,
                             pass_fds=(m.fd,)).stdout
    accepted = out.startswith("ACCEPTED")
    assert accepted == p.args[index].uninit, f"{name} R{index + 1} uninit:\n{out}"
    if not accepted:
        assert "invalid read from stack" in out, out
