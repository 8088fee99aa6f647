"""Program load, test_run, map binding, logs and error paths on the live kernel."""
from __future__ import annotations

import errno
import hashlib
import json
import shutil
import struct
import subprocess
import uuid

import pytest

from pybpf.asm import assemble
from pybpf.errors import KernelError, ProgLoadError
from pybpf.export.stats import RunTimeStats
from pybpf.isa import Insn, MapSpec, ProgramSpec
from pybpf.kernel import syscall
from pybpf.kernel.maps import ArrayMap, HashMap
from pybpf.kernel.prog import LOG_START, LoadOptions, Program, load
from pybpf.kernel.syscall import Cmd
from pybpf.uapi import BPF_LOG_LEVEL1, BPF_LOG_STATS

pytestmark = pytest.mark.kernel

ETH_PKT = bytes(range(64))


def returns(n: int) -> ProgramSpec:
    return assemble(f"r0 = {n}\nexit")


@pytest.mark.parametrize("ptype,ret", [("socket_filter", 7), ("xdp", 2), ("sched_cls", 0)])
def test_load_and_test_run_retval(ptype, ret):
    # the kernel counts runs only while BPF stats are on; other processes may toggle the
    # sysctl at any moment, so the test holds its own BPF_ENABLE_STATS fd: then every run counts
    with RunTimeStats() as stats, load(returns(ret).replace(name=f"ret_{ptype}"), ptype) as p:
        assert stats.fd is not None, stats.error
        r = p.test_run(ETH_PKT, repeat=50)
        assert r.retval == ret
        if ptype != "socket_filter":  # socket filters see the packet after the L2 header
            assert r.data_out == ETH_PKT
        assert r.duration_ns >= 0
        info = p.info()
        assert (info.type, info.name, p.type, info.id) == (ptype, f"ret_{ptype}"[:15], ptype, p.id)
        assert info.run_cnt == 50


def test_xdp_rewrites_packet_data_out():
    """The program swaps the first byte of the packet for 0xab; data_out shows it."""
    prog = assemble("""
        r2 = *(u32 *)(r1 + 0)
        r3 = *(u32 *)(r1 + 4)
        r4 = r2
        r4 += 1
        if r4 > r3 goto drop
        r5 = 0xab
        *(u8 *)(r2 + 0) = r5
        r0 = 2
        exit
    drop:
        r0 = 1
        exit
    """)
    with load(prog, "xdp") as p:
        r = p.test_run(ETH_PKT)
        assert r.retval == 2 and r.data_out == b"\xab" + ETH_PKT[1:]


def test_sched_cls_ctx_in_and_out():
    """ctx in/out: the program returns skb->mark and writes mark + 1 back."""
    from pybpf.btf import vmlinux

    btf = vmlinux()
    skb = btf[btf.find("__sk_buff", "struct")]
    mark_off = {m.name: m.byte_offset for m in skb.members}["mark"]
    prog = assemble(f"""
        r0 = *(u32 *)(r1 + {mark_off})
        r2 = r0
        r2 += 1
        *(u32 *)(r1 + {mark_off}) = r2
        exit
    """)
    ctx = bytearray(skb.size)
    struct.pack_into("<I", ctx, mark_off, 41)
    with load(prog, "sched_cls") as p:
        r = p.test_run(ETH_PKT, ctx=bytes(ctx))
        assert r.retval == 41
        assert len(r.ctx_out) == skb.size
        assert struct.unpack_from("<I", r.ctx_out, mark_off)[0] == 42


def test_program_counts_in_a_declared_map():
    prog = assemble("""
        .map counts hash key=4 value=8 max_entries=4
        r1 = 0
        *(u32 *)(r10 - 4) = r1
        r2 = r10
        r2 += -4
        r1 = counts ll
        call bpf_map_lookup_elem
        if r0 == 0 goto init
        r1 = 1
        lock *(u64 *)(r0 + 0) += r1
        goto out
    init:
        r1 = 1
        *(u64 *)(r10 - 16) = r1
        r2 = r10
        r2 += -4
        r3 = r10
        r3 += -16
        r1 = counts ll
        r4 = 0
        call bpf_map_update_elem
    out:
        r0 = 0
        exit
    """)
    with load(prog, "socket_filter") as p:
        counts = p.maps["counts"]
        assert isinstance(counts, HashMap)
        p.test_run(ETH_PKT, repeat=5)
        p.test_run(ETH_PKT)
        assert counts[0] == (6).to_bytes(8, "little")
        assert p.info().map_ids == (counts.info().id,)
    assert counts.closed  # created by load, owned by the program


def test_program_uses_a_given_map():
    prog = assemble("""
        r1 = values ll
        r2 = map_value(values) + 0 ll
        r0 = *(u32 *)(r2 + 0)
        exit
    """)
    with ArrayMap.create(MapSpec(name="values", max_entries=1, value_type="<I")) as m:
        m[0] = 31337
        with load(prog, "socket_filter", maps={"values": m}) as p:
            assert p.test_run(ETH_PKT).retval == 31337
        assert not m.closed  # given maps stay with their owner


def test_unknown_map_is_named():
    prog = assemble("r1 = nowhere ll\nr0 = 0\nexit")
    with pytest.raises(Exception, match="nowhere"):
        load(prog, "socket_filter")


def test_rejected_program_carries_the_log():
    prog = assemble("r0 = *(u64 *)(r1 + 0)\nr0 = *(u64 *)(r0 + 0)\nexit")
    with pytest.raises(ProgLoadError) as e:
        load(prog, "socket_filter")
    err = e.value
    assert err.command == "BPF_PROG_LOAD" and err.errno == errno.EACCES
    assert "R0 invalid mem access" in err.log or "invalid" in err.log
    assert "verifier" in str(err) and err.log.strip().splitlines()[-1] in err.log


def test_uninitialised_r0_message():
    with pytest.raises(ProgLoadError) as e:
        load(ProgramSpec([Insn(0x95)]), "xdp")
    assert "R0 !read_ok" in e.value.log and "R0 !read_ok" in str(e.value)


def test_log_level_stats_and_tag_against_the_kernel():
    prog = returns(3)
    with load(prog, "socket_filter", options=LoadOptions(log_level=BPF_LOG_LEVEL1 | BPF_LOG_STATS)) as p:
        assert "processed 2 insns" in p.log
        assert p.stats.verified_insns == 2 and p.stats.verification_time_us is not None
        # the kernel's tag is the first 8 bytes of a digest of the instructions: SHA-1 before
        # Linux 6.16, SHA-256 since
        code = prog.encode()
        assert p.tag in (hashlib.sha1(code).hexdigest()[:16], hashlib.sha256(code).hexdigest()[:16])


@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool missing")
def test_info_matches_bpftool():
    with load(returns(1).replace(name="bt_check"), "sched_cls") as p:
        out = subprocess.run(["bpftool", "prog", "show", "id", str(p.id), "--json"],
                             capture_output=True, text=True, check=True).stdout
        shown = json.loads(out)
        assert shown["tag"] == p.tag and shown["name"] == "bt_check" and shown["type"] == "sched_cls"


def test_log_grows_on_enospc_for_a_long_log():
    body = "\n".join("r0 += 1" for _ in range(3000))
    prog = assemble(f"r0 = 0\n{body}\nexit")
    with load(prog, "socket_filter", options=LoadOptions(log_level=2)) as p:
        assert len(p.log) > LOG_START
        assert "3001: (95) exit" in p.log


def _fake(real, script):
    """A _sys_bpf that answers PROG_LOAD from ``script`` (a list of errnos, 0 = real call)."""
    calls = []

    def fake(cmd, attr):
        if cmd == Cmd.PROG_LOAD and script:
            calls.append(bytes(attr))
            err = script.pop(0)
            if err:
                return -1, err
        return real(cmd, attr)

    return fake, calls


def test_enospc_grows_the_buffer_through_the_seam(monkeypatch):
    from pybpf.uapi import PROG_LOAD

    fake, calls = _fake(syscall._sys_bpf, [errno.ENOSPC, errno.ENOSPC, 0])
    monkeypatch.setattr(syscall, "_sys_bpf", fake)
    with load(returns(0), "socket_filter", options=LoadOptions(log_level=1)) as p:
        assert p.test_run(ETH_PKT).retval == 0
    sizes = [PROG_LOAD.get(a, "log_size") for a in calls]
    assert sizes[0] == LOG_START and sizes[1] > sizes[0] and sizes[2] > sizes[1]


def test_failed_fast_load_is_retried_with_a_log(monkeypatch):
    from pybpf.uapi import PROG_LOAD

    fake, calls = _fake(syscall._sys_bpf, [errno.EACCES, 0])
    monkeypatch.setattr(syscall, "_sys_bpf", fake)
    with pytest.raises(ProgLoadError) as e:
        load(ProgramSpec([Insn(0x95)]), "socket_filter")
    assert [PROG_LOAD.get(a, "log_level") for a in calls] == [0, 1]
    assert e.value.errno == errno.EACCES and "R0 !read_ok" in e.value.log


def test_eperm_and_eintr_through_the_seam(monkeypatch):
    real = syscall._sys_bpf
    state = {"n": 0}

    def eintr_twice(cmd, attr):
        if cmd == Cmd.MAP_CREATE and state["n"] < 2:
            state["n"] += 1
            return -1, errno.EINTR
        return real(cmd, attr)

    monkeypatch.setattr(syscall, "_sys_bpf", eintr_twice)
    with HashMap.create(MapSpec(key_size=4, value_size=4, max_entries=1)) as m:
        assert state["n"] == 2 and not m.closed

    monkeypatch.setattr(syscall, "_sys_bpf", lambda cmd, attr: (-1, errno.EPERM))
    with pytest.raises(KernelError) as e:
        HashMap.create(MapSpec(key_size=4, value_size=4, max_entries=1))
    assert e.value.errno == errno.EPERM and "CAP_BPF" in str(e.value)
    with pytest.raises(ProgLoadError) as e2:
        load(returns(0), "xdp")
    assert e2.value.errno == errno.EPERM and "CAP_BPF" in e2.value.hint


@pytest.mark.parametrize("ptype,attach,func", [
    ("tracing", "trace_fentry", "bpf_fentry_test1"),
    ("lsm", "lsm_mac", "bpf_lsm_file_open"),
])
def test_fentry_and_lsm_are_refused_clearly(ptype, attach, func):
    from pybpf.btf import vmlinux

    btf_id = vmlinux().find(func, "func")
    with pytest.raises(KernelError) as e:
        load(returns(0), ptype, options=LoadOptions(expected_attach_type=attach, attach_btf_id=btf_id))
    assert e.value.errno == errno.EPERM
    assert "refuses" in str(e.value) and "BPF_PROG_LOAD" in str(e.value)


def test_unknown_program_type_is_named():
    with pytest.raises(Exception, match="unknown program type 'sock_filter'"):
        load(returns(0), "sock_filter")


def test_test_run_unsupported_type_says_so():
    with load(returns(0), "tracepoint") as p:
        with pytest.raises(KernelError) as e:
            p.test_run(b"")
        assert e.value.command == "BPF_PROG_TEST_RUN"


def test_pin_from_pinned_from_id():
    with load(returns(5).replace(name="pinme"), "socket_filter") as p:
        path = p.pin(f"pybpf_prog_{uuid.uuid4().hex[:8]}")
        try:
            with Program.from_pinned(path) as q:
                assert q.id == p.id and q.test_run(ETH_PKT).retval == 5 and q.type == "socket_filter"
        finally:
            p.unpin(path)
        with Program.from_id(p.id) as r:
            assert r.tag == p.tag and r.name == "pinme"


def test_kfunc_calls_are_bound_by_name():
    prog = assemble("call bpf_rcu_read_lock\ncall bpf_rcu_read_unlock\nr0 = 2\nexit")
    with load(prog, "xdp") as p:
        assert p.test_run(ETH_PKT).retval == 2
    with pytest.raises(Exception, match="no kernel function 'bpf_no_such_kfunc'"):
        load(assemble("call bpf_no_such_kfunc\nr0 = 0\nexit"), "xdp")


def test_ksym_is_bound_to_its_btf_id():
    """The kernel names the variable back: the BTF id pybpf bound is the right one. (This
    kernel has no data symbols in kallsyms, so it cannot give the address; a kernel that can
    loads the program.)"""
    prog = assemble("r1 = btf_id(runqueues) ll\nr0 = 0\nexit")
    try:
        load(prog, "socket_filter").close()
    except ProgLoadError as e:
        assert e.errno == errno.ENOENT and "kernel symbol 'runqueues'" in e.log


def test_xlated_is_what_we_sent_for_a_plain_program():
    prog = assemble("r0 = 5\nr1 = r0\nr0 += r1\nexit")
    with load(prog, "socket_filter") as p:
        assert p.xlated() == prog.encode()
        assert p.test_run(ETH_PKT).retval == 10


def test_map_reference_is_rewritten_by_the_kernel():
    prog = assemble(".map m array key=4 value=4 max_entries=1\nr1 = m ll\nr0 = 0\nexit")
    with load(prog, "socket_filter") as p:
        x = ProgramSpec.from_bytes(p.xlated())
        assert x.insns[0].opcode == 0x18 and x.insns[0].src in (0, 1)  # a map pointer now
        assert x.insns[1:] == prog.insns[1:]


def test_fd_array_map_index_references():
    """lddw src=MAP_IDX_VALUE (6) names the map by its index in fd_array."""
    from pybpf.isa.opcodes import PseudoSrc

    with ArrayMap.create(MapSpec(max_entries=1, value_type="<I")) as a, \
            ArrayMap.create(MapSpec(max_entries=1, value_type="<I")) as b:
        a[0], b[0] = 111, 222
        prog = ProgramSpec([Insn(0x18, dst=1, src=PseudoSrc.MAP_IDX_VALUE, imm=1),  # &fd_array[1][0]
                        Insn(0x61, dst=0, src=1, off=0), Insn(0x95)])
        with load(prog, "socket_filter", options=LoadOptions(fd_array=[a, b])) as p:
            assert p.test_run(ETH_PKT).retval == 222
        with load(prog.with_insns([prog.insns[0].replace(imm=0)] + prog.insns[1:]), "socket_filter", options=LoadOptions(fd_array=[a, b])) as p:
            assert p.test_run(ETH_PKT).retval == 111
