"""Context and map strategies against what the kernel says: tracepoint layouts from tracefs,
``struct bpf_perf_event_data`` from the kernel's BTF, map contents a kernel map accepts,
raw tracepoint arguments a raw tracepoint program reads back in BPF_PROG_TEST_RUN."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import PybpfError
from pybpf.isa import MapSpec
from pybpf.testing import (
    BpfProgram,
    c_strings,
    map_contents,
    perf_event_contexts,
    raw_tracepoint_contexts,
    tracepoint_context,
    tracepoint_contexts,
)
from pybpf.testing.ctxgen import EDGE_LENGTHS


@pytest.mark.kernel
@settings(max_examples=25)
@given(ctx=tracepoint_contexts("syscalls/sys_enter_openat"))
def test_tracepoint_contexts_follow_tracefs(ctx):
    from pybpf.kernel.tracefs import tracepoint_format

    fmt = tracepoint_format("syscalls", "sys_enter_openat")
    assert len(ctx) == fmt.size
    assert struct.unpack_from("<H", ctx, 0)[0] == fmt.id
    f = fmt.fields["filename"]
    addr = struct.unpack_from("<Q", ctx, f.offset)[0]
    path = ctx.strings["filename"]
    assert ctx.image.read(addr, len(path) + 1) == path + b"\0"
    assert ctx.image.space_of(addr) == "user"
    for name in ("dfd", "flags", "mode"):
        fld = fmt.fields[name]
        raw = int.from_bytes(ctx[fld.offset:fld.offset + fld.size], "little", signed=fld.signed)
        mask = (1 << (8 * fld.size)) - 1
        assert raw & mask == ctx.values[name] & mask


@pytest.mark.kernel
def test_tracepoint_context_values_and_errors():
    ctx = tracepoint_context("syscalls/sys_exit_openat", {"ret": -2})
    assert ctx.values["ret"] == -2
    with pytest.raises(PybpfError, match="no field nope"):
        tracepoint_context("syscalls/sys_exit_openat", {"nope": 1})
    with pytest.raises(PybpfError, match="no field nope"):
        tracepoint_contexts("syscalls/sys_exit_openat", fields={"nope": st.just(1)})


def test_c_strings_reach_the_edge_lengths():
    lengths = set()

    @settings(max_examples=300, derandomize=True, database=None)
    @given(c_strings(300))
    def collect(s):
        assert b"\0" not in s
        lengths.add(len(s))
    collect()
    assert {0, 127, 128} <= lengths <= set(range(301))
    assert len(set(EDGE_LENGTHS) & lengths) >= len(EDGE_LENGTHS) - 3  # most edges, often


def test_perf_event_context_is_the_kernel_struct():
    """The layout is x86-64 pt_regs, sample_period, addr: sizes from the running kernel's BTF."""
    from pybpf.btf import vmlinux

    btf = vmlinux()
    size = btf.size_of(btf.find("bpf_perf_event_data", "struct"))
    regs = btf.size_of(btf.find("pt_regs", "struct"))
    _t, period_bit, _ = btf.member(btf.find("bpf_perf_event_data", "struct"), "sample_period")

    @settings(max_examples=20, derandomize=True, database=None)
    @given(perf_event_contexts(regs={"ip": 0x401000}, sample_period=99))
    def check(ctx):
        assert len(ctx) == size and period_bit // 8 == regs
        assert struct.unpack_from("<Q", ctx, regs)[0] == 99
        assert ctx.values["ip"] == 0x401000
    check()
    with pytest.raises(PybpfError, match="no register rip"):
        perf_event_contexts(regs={"rip": 1})


@pytest.mark.kernel
@settings(max_examples=25)
@given(ctx=raw_tracepoint_contexts(st.integers(0, 1 << 64 - 1), st.just(7), nargs=2))
def test_raw_tracepoint_args_read_back_in_both(ctx):
    """A raw tracepoint program returns args[0] ^ args[1]: the VM and BPF_PROG_TEST_RUN
    (which takes the args array as its context) agree."""
    prog = BpfProgram.load("r2 = *(u64 *)(r1 + 0)\nr3 = *(u64 *)(r1 + 8)\nr0 = r2\nr0 ^= r3\nexit",
                           prog_type="raw_tracepoint")
    with prog:
        out = prog.run(ctx=ctx, backend="both")
        assert out.retval == ctx.values["args[0]"] ^ 7
        assert out.kernel is not None


@pytest.mark.kernel
@pytest.mark.parametrize("decl", [MapSpec("h", "hash", 8, 16, 32), MapSpec("a", "array", 4, 12, 8),
                                  MapSpec("l", "lru_hash", 4, 4, 16)])
def test_map_contents_fit_a_kernel_map(decl):
    from pybpf.kernel import Map

    @settings(max_examples=15, derandomize=True, database=None, deadline=None)
    @given(map_contents(decl))
    def check(contents):
        assert len(contents) <= decl.max_entries
        with Map.create(decl) as m:
            for k, v in contents.items():
                m.update(k, v)
            if decl.type != "array":
                assert {bytes(k) for k in m.keys_raw()} == set(contents)
            for k, v in contents.items():
                assert m.lookup_raw(k) == v
    check()
