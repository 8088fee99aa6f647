"""Kfunc availability and load refusals in the shipped profiles (measured in each kernel by
``tools/vmtest``), the running kernel's answers against its profile, and what
``pybpf verify --kernel`` says about a kfunc a kernel lacks."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from pybpf.verifier.kernel_profile import profile

TASK_FROM_PID = """
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct task_struct { int pid; int tgid; } __attribute__((preserve_access_index));
extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
__u64 found;
SEC("tp_btf/task_newtask")
int on_new_task(unsigned long long *ctx)
{
    struct task_struct *task = (struct task_struct *)ctx[0];
    struct task_struct *leader = bpf_task_from_pid(task->tgid);
    if (!leader)
        return 0;
    __sync_fetch_and_add(&found, 1);
    bpf_task_release(leader);
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""


def test_profiles_hold_kfuncs_and_refusals() -> None:
    for k in ("6.1", "6.12", "6.18"):
        p = profile(k)
        assert {"sched_cls", "xdp", "tracing/trace_raw_tp"} <= p.kfunc_probed, k
    # 6.1 predates the task kfuncs; 6.12 and 6.18 let BTF tracepoints call them
    assert "bpf_task_from_pid" not in profile("6.1").kfuncs
    for k in ("6.12", "6.18"):
        assert profile(k).kfunc_allowed("bpf_task_from_pid", "tracing", "trace_raw_tp")
        assert not profile(k).kfunc_allowed("bpf_task_from_pid", "socket_filter")
    # unix-socket hooks appeared after 6.1: refused before verification there
    assert profile("6.1").load_refusal("cgroup_sock_addr", "cgroup_unix_connect") == "EINVAL"
    assert profile("6.12").load_refusal("cgroup_sock_addr", "cgroup_unix_connect") is None


@pytest.mark.kernel
def test_running_kernel_answers_as_its_profile_says() -> None:
    """The kfunc facts of the shipped profile of the running kernel's series are what the
    kernel answers now (when this machine runs that series)."""
    import os

    from pybpf.kernel.features import kfunc_allowed_here

    series = ".".join(os.uname().release.split(".")[:2])
    try:
        p = profile(series)
    except Exception:  # noqa: BLE001 - another series: no shipped profile to hold it to
        pytest.skip(f"no shipped profile for {series}")
    pairs = [("bpf_task_from_pid", "tracing", "trace_raw_tp"), ("bpf_task_from_pid", "socket_filter", None),
             ("bpf_dynptr_from_skb", "sched_cls", None), ("bpf_dynptr_from_skb", "kprobe", None),
             ("bpf_rcu_read_lock", "xdp", None)]
    for name, ptype, attach in pairs:
        live = kfunc_allowed_here(name, ptype, attach)
        assert live is not None, (name, ptype)
        kind = f"{ptype}/{attach}" if attach else ptype
        assert (kind in p.kfuncs.get(name, ())) == live, (name, kind, live)


@pytest.mark.clang
def test_fleet_verdicts_name_the_missing_kfunc(tmp_path) -> None:
    from pybpf.elf.loader import BpfObject

    src = tmp_path / "task_from_pid.bpf.c"
    src.write_text(TASK_FROM_PID)
    obj = tmp_path / "task_from_pid.bpf.o"
    subprocess.run([shutil.which("clang-19") or "clang-19", "-O2", "-g", "-target", "bpf", "-mcpu=v3",
                    "-I/usr/include/x86_64-linux-gnu", "-c", str(src), "-o", str(obj)], check=True)
    report = BpfObject.open(str(obj)).verify(kernels=["6.1", "6.12", "6.18"])["on_new_task"]
    assert report.accepted_on == ["6.12", "6.18"]
    v61 = report.verdicts[0]
    assert v61.report.message == "extern kfunc bpf_task_from_pid is not in the BTF of 6.1"
    assert v61.report.insn_text == "call bpf_task_from_pid"
    assert v61.lacks == ["6.1 has no kfunc bpf_task_from_pid (6.12 and 6.18 have)"]
