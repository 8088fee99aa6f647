"""SEC() name -> program type, checked against the kernel's own enums and libbpf's rules."""
from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache

import pytest

from pybpf.elf.sections import SECTION_DEFS, Match, parse_section
from pybpf.errors import ElfError


@pytest.mark.parametrize(
    ("section", "prog_type", "attach_type", "target"),
    [
        ("socket", "socket_filter", None, None),
        ("perf_event", "perf_event", None, None),
        ("xdp", "xdp", "xdp", None),
        ("xdp.frags", "xdp", "xdp", None),
        ("xdp/devmap", "xdp", "xdp_devmap", None),
        ("tc", "sched_cls", None, None),
        ("tcx/ingress", "sched_cls", "tcx_ingress", None),
        ("tracepoint/syscalls/sys_enter_openat", "tracepoint", None, "syscalls/sys_enter_openat"),
        ("raw_tp/sys_enter", "raw_tracepoint", None, "sys_enter"),
        ("raw_tp.w/sys_enter", "raw_tracepoint_writable", None, "sys_enter"),
        ("tp_btf/sched_switch", "tracing", "trace_raw_tp", "sched_switch"),
        ("uprobe//bin/bash:readline", "kprobe", None, "/bin/bash:readline"),
        ("uretprobe.s/libc.so.6:malloc", "kprobe", None, "libc.so.6:malloc"),
        ("fexit/do_unlinkat", "tracing", "trace_fexit", "do_unlinkat"),
        ("lsm/file_open", "lsm", "lsm_mac", "file_open"),
        ("cgroup_skb/egress", "cgroup_skb", "cgroup_inet_egress", None),
        ("cgroup/sock", "cgroup_sock", "cgroup_inet_sock_create", None),
        ("cgroup/sendmsg6", "cgroup_sock_addr", "cgroup_udp6_sendmsg", None),
        ("cgroup/sysctl", "cgroup_sysctl", "cgroup_sysctl", None),
        ("cgroup/dev", "cgroup_device", "cgroup_device", None),
        ("sk_lookup", "sk_lookup", "sk_lookup", None),
        ("perf_event", "perf_event", None, None),
        ("iter/task", "tracing", "trace_iter", "task"),
        ("sk_skb/stream_verdict", "sk_skb", "sk_skb_stream_verdict", None),
    ],
)
def test_known_sections(section, prog_type, attach_type, target):
    spec = parse_section(section)
    assert (spec.prog_type, spec.expected_attach_type, spec.target) == (prog_type, attach_type, target)


@pytest.mark.parametrize("section", ["xdpfoo", "tracepointx", "tc/ingressx", "socket/x", "", ".text", "maps"])
def test_unknown_sections_name_the_section(section):
    with pytest.raises(ElfError, match=re.escape(f"section {section}")):
        parse_section(section, path="x.bpf.o")


def test_no_row_is_shadowed_by_an_earlier_one():
    """Every row is reachable: no earlier row already matches its own name."""
    for i, row in enumerate(SECTION_DEFS):
        probe = row.name if row.match is not Match.PLUS else row.name + "/t"
        assert parse_section(probe).prog_type == row.prog_type, row.name
        for earlier in SECTION_DEFS[:i]:
            assert not (earlier.match is Match.EXACT and earlier.name == row.name), row.name


@cache
def _kernel_enum(prefix: str) -> set[str]:
    out = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"],
                         capture_output=True, text=True, check=True).stdout
    return {m.lower() for m in re.findall(rf"\b{prefix}(\w+) = \d+", out)}


@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool missing (apt-get install bpftool)")
def test_types_exist_in_running_kernel():
    """Every program and attach type the table names is one of the running kernel's enums."""
    prog_types = _kernel_enum("BPF_PROG_TYPE_")
    attach_types = _kernel_enum("BPF_")
    for row in SECTION_DEFS:
        assert row.prog_type in prog_types, row
        if row.expected_attach_type:
            assert row.expected_attach_type in attach_types, row
