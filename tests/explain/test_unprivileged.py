"""``--unprivileged``: pybpf's verdicts against the kernel's for a loader that dropped
CAP_PERFMON and CAP_SYS_ADMIN (it keeps CAP_BPF and CAP_NET_ADMIN).

Every program is loaded by one child process run under ``setpriv
--bounding-set=-perfmon,-sys_admin``; its verdicts are the reference. pybpf must agree on
at least 98% (the same verdict and, for a rejection, the same message).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pybpf.asm import assemble
from pybpf.explain import explain_program
from pybpf.explain.logparse import parse_log

MAP = ".map m hash key=4 value=8 max_entries=4\n"
KEY = "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\n"
LOOKUP = MAP + KEY + "r1 = m ll\ncall bpf_map_lookup_elem\n"
ARR = ".map a array key=4 value=16 max_entries=4\n" + KEY + "r1 = a ll\ncall bpf_map_lookup_elem\n"
RB = ".map rb ringbuf max_entries=4096\n"


def _idx(body: str) -> str:
    return ARR + "if r0 == 0 goto out\nr1 = *(u32 *)(r0 + 0)\n" + body + \
        "r0 += r1\nr0 = *(u8 *)(r0 + 0)\nout:\nr0 = 0\nexit"


#: name -> (program type, assembly)
PROGRAMS: dict[str, tuple[str, str]] = {
    # uninitialised stack
    "classic_uninit_key": ("socket_filter", MAP + "r2 = r10\nr2 += -16\nr1 = m ll\n"
                           "call bpf_map_lookup_elem\nr0 = 0\nexit"),
    "init_key": ("socket_filter", LOOKUP + "r0 = 0\nexit"),
    "partial_key": ("socket_filter", ".map m8 hash key=8 value=8 max_entries=4\n"
                    "*(u32 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr1 = m8 ll\n"
                    "call bpf_map_lookup_elem\nr0 = 0\nexit"),
    "full_key8": ("socket_filter", ".map m8 hash key=8 value=8 max_entries=4\n"
                  "*(u64 *)(r10 - 8) = 0\nr2 = r10\nr2 += -8\nr1 = m8 ll\n"
                  "call bpf_map_lookup_elem\nr0 = 0\nexit"),
    "uninit_ldx": ("socket_filter", "r0 = *(u64 *)(r10 - 8)\nexit"),
    "uninit_ldx_u32": ("socket_filter", "r0 = *(u32 *)(r10 - 12)\nexit"),
    "partial_ldx": ("socket_filter", "*(u32 *)(r10 - 8) = 0\nr0 = *(u64 *)(r10 - 8)\nexit"),
    "init_ldx": ("socket_filter", "*(u64 *)(r10 - 8) = 0\nr0 = *(u64 *)(r10 - 8)\nexit"),
    "spill_fill_ctx": ("socket_filter", "*(u64 *)(r10 - 8) = r1\nr1 = *(u64 *)(r10 - 8)\n"
                       "r0 = 0\nexit"),
    "uninit_update_value": ("socket_filter", MAP + KEY + "r3 = r10\nr3 += -16\nr1 = m ll\n"
                            "r4 = 0\ncall bpf_map_update_elem\nr0 = 0\nexit"),
    "init_update_value": ("socket_filter", MAP + KEY + "*(u64 *)(r10 - 16) = 0\nr3 = r10\n"
                          "r3 += -16\nr1 = m ll\nr4 = 0\ncall bpf_map_update_elem\nr0 = 0\nexit"),
    "skb_load_bytes_into_uninit": ("socket_filter", "r2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\n"
                                   "call bpf_skb_load_bytes\nr0 = *(u64 *)(r10 - 8)\nexit"),
    "ringbuf_output_uninit": ("socket_filter", RB + "r1 = rb ll\nr2 = r10\nr2 += -8\nr3 = 8\n"
                              "r4 = 0\ncall bpf_ringbuf_output\nr0 = 0\nexit"),
    "ringbuf_output_init": ("socket_filter", RB + "*(u64 *)(r10 - 8) = 0\nr1 = rb ll\nr2 = r10\n"
                            "r2 += -8\nr3 = 8\nr4 = 0\ncall bpf_ringbuf_output\nr0 = 0\nexit"),
    # pointer leaks
    "return_fp": ("socket_filter", "r0 = r10\nexit"),
    "return_ctx": ("socket_filter", "r0 = r1\nexit"),
    "return_scalar": ("socket_filter", "r0 = 1\nexit"),
    "leak_fp_into_map": ("socket_filter", LOOKUP + "if r0 == 0 goto +1\n*(u64 *)(r0 + 0) = r10\n"
                         "r0 = 0\nexit"),
    "store_scalar_into_map": ("socket_filter", LOOKUP + "if r0 == 0 goto +1\n"
                              "*(u64 *)(r0 + 0) = 1\nr0 = 0\nexit"),
    "leak_fp_into_ctx": ("socket_filter", "r2 = r10\n*(u32 *)(r1 + 48) = r2\nr0 = 0\nexit"),
    "store_scalar_into_ctx": ("socket_filter", "*(u32 *)(r1 + 48) = 0\nr0 = 0\nexit"),
    "spill_fp": ("socket_filter", "*(u64 *)(r10 - 8) = r10\nr0 = 0\nexit"),
    "compare_ptr_ptr": ("socket_filter", "r0 = 0\nif r1 > r10 goto +0\nexit"),
    "compare_ptr_imm": ("socket_filter", "r0 = r10\nif r0 > 5 goto +0\nr0 = 0\nexit"),
    "compare_ctx_zero": ("socket_filter", "r0 = r1\nif r0 == 0 goto +0\nr0 = 0\nexit"),
    "null_check_lookup": ("socket_filter", LOOKUP + "if r0 == 0 goto +1\n"
                          "r0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit"),
    "null_check_lookup_ne": ("socket_filter", LOOKUP + "if r0 != 0 goto +2\nr0 = 0\nexit\n"
                             "r0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit"),
    "partial_copy_of_fp": ("socket_filter", "w0 = w10\nr0 = 0\nexit"),
    "ptr_minus_ptr": ("socket_filter", "r0 = r10\nr0 -= r1\nr0 = 0\nexit"),
    "ptr_xor": ("socket_filter", "r0 = r10\nr0 ^= 1\nr0 = 0\nexit"),
    "fp_to_helper_anything": ("socket_filter", "r1 = r10\ncall bpf_get_prandom_u32\nr0 = 0\nexit"),
    # speculative-execution sanitation
    "variable_stack_offset": ("socket_filter", "r2 = *(u32 *)(r1 + 0)\nr2 &= 7\nr3 = r10\n"
                              "r3 += -16\nr3 += r2\n*(u8 *)(r3 + 0) = 0\nr0 = 0\nexit"),
    "constant_stack_offset": ("socket_filter", "r3 = r10\nr3 += -16\n*(u8 *)(r3 + 0) = 0\n"
                              "r0 = 0\nexit"),
    "map_index_masked_in_range": ("socket_filter", _idx("r1 &= 7\n")),
    "map_index_masked_out_of_range": ("socket_filter", _idx("r1 &= 31\n")),
    "map_index_unbounded": ("socket_filter", _idx("")),
    "map_index_checked": ("socket_filter", _idx("if r1 > 15 goto out\n")),
    # helpers that need CAP_PERFMON
    "trace_printk": ("socket_filter", "*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\nr2 = 8\n"
                     "call bpf_trace_printk\nr0 = 0\nexit"),
    "probe_read_kernel": ("socket_filter", "*(u64 *)(r10 - 8) = 0\nr1 = r10\nr1 += -8\nr2 = 8\n"
                          "r3 = 0\ncall bpf_probe_read_kernel\nr0 = 0\nexit"),
    "get_current_task": ("socket_filter", "call bpf_get_current_task\nr0 = 0\nexit"),
    "ktime_get_ns": ("socket_filter", "call bpf_ktime_get_ns\nr0 = 0\nexit"),
    "get_prandom": ("socket_filter", "call bpf_get_prandom_u32\nr0 = 0\nexit"),
    "ringbuf_reserve_discard": ("socket_filter", RB + "r1 = rb ll\nr2 = 8\nr3 = 0\n"
                                "call bpf_ringbuf_reserve\nif r0 == 0 goto +3\nr1 = r0\nr2 = 0\n"
                                "call bpf_ringbuf_discard\nr0 = 0\nexit"),
    # program types
    "tracepoint_type": ("tracepoint", "r0 = 0\nexit"),
    "raw_tracepoint_type": ("raw_tracepoint", "r0 = 0\nexit"),
    "perf_event_type": ("perf_event", "r0 = 0\nexit"),
    "xdp_type": ("xdp", "r0 = 2\nexit"),
    "sched_cls_type": ("sched_cls", "r0 = 0\nexit"),
    "cgroup_skb_type": ("cgroup_skb", "r0 = 1\nexit"),
    "sk_skb_type": ("sk_skb", "r0 = 0\nexit"),
    "xdp_packet_check": ("xdp", "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\n"
                         "r4 += 14\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit"),
    "bounded_loop": ("socket_filter", "r1 = 0\nl: r1 += 1\nif r1 < 10 goto l\nr0 = 0\nexit"),
}


def _first_line(log: str) -> str | None:
    k = parse_log(log)
    return k.failing_line


@pytest.fixture(scope="module")
def kernel_verdicts(tmp_path_factory):
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop capabilities"
    items = [[n, t, s] for n, (t, s) in PROGRAMS.items()]
    out = subprocess.run([setpriv, "--bounding-set=-perfmon,-sys_admin", sys.executable,
                          str(Path(__file__).with_name("unpriv_child.py"))],
                         input=json.dumps(items), capture_output=True, text=True, timeout=300,
                         check=True)
    return json.loads(out.stdout)


def test_suite_is_large_enough():
    assert len(PROGRAMS) >= 40


@pytest.mark.kernel
def test_unprivileged_verdicts_agree_with_the_kernel(kernel_verdicts):
    disagree = []
    rejected = 0
    for name, (ptype, src) in PROGRAMS.items():
        k = kernel_verdicts[name]
        e = explain_program(assemble(src), ptype, privileged=False)
        if not k["accepted"]:
            rejected += 1
        if k["accepted"] != e.accepted:
            disagree.append((name, k.get("log", "")[-200:], e.message))
            continue
        if not k["accepted"]:
            if not k["log"]:  # EPERM before verification: a program type not allowed
                if e.error_class != "privileges":
                    disagree.append((name, f"errno {k['errno']}", e.message))
                continue
            if _first_line(k["log"]) not in (e.message or "").splitlines():
                disagree.append((name, _first_line(k["log"]), e.message))
    assert rejected >= 20
    agreement = 1 - len(disagree) / len(PROGRAMS)
    assert agreement >= 0.98, disagree


@pytest.mark.kernel
def test_classic_uninitialised_key(kernel_verdicts):
    """The classic 'invalid indirect read from stack', in this kernel's words."""
    k = kernel_verdicts["classic_uninit_key"]
    assert _first_line(k["log"]) == "invalid read from stack R2 off=-16 size=4"
    e = explain_program(assemble(PROGRAMS["classic_uninit_key"][1]), "socket_filter",
                        privileged=False)
    assert e.message == "invalid read from stack R2 off=-16 size=4"
    assert "key" in e.hints["c"] and e.kind == "program"
    assert explain_program(assemble(PROGRAMS["classic_uninit_key"][1]), "socket_filter").accepted
