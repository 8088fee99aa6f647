"""Write eBPF probes as Python functions.

>>> from pybpf.dsl import HashMap, probe, pid, u32, u64          # doctest: +SKIP
>>> counts = HashMap(u32, u64)
>>> @probe("tracepoint/raw_syscalls/sys_enter")
... def count(ctx):
...     counts[pid()] += 1
"""

from .compiler import compile_probe
from .maps import (
    ArrayMap,
    HashMap,
    Histogram,
    LruHashMap,
    PerCpuArrayMap,
    PerCpuHashMap,
    PerfBuf,
    RingBuf,
    StackTrace,
    format_histogram,
)
from .probe import Probe, Session, load_module, module_probes, probe
from .stubs import (
    XDP_ABORTED,
    XDP_DROP,
    XDP_PASS,
    XDP_TX,
    boot_ns,
    cgroup_id,
    comm,
    cpu,
    gid,
    ktime_ns,
    log2,
    pid,
    pid_tgid,
    prandom,
    probe_read_kernel,
    probe_read_kernel_str,
    probe_read_user,
    probe_read_user_str,
    send_signal,
    task,
    tid,
    uid,
)
from .types import Struct, bool_, char, s8, s16, s32, s64, u8, u16, u32, u64

__all__ = [
    "ArrayMap", "HashMap", "Histogram", "LruHashMap", "PerCpuArrayMap", "PerCpuHashMap", "PerfBuf",
    "Probe", "RingBuf", "Session", "StackTrace", "Struct", "XDP_ABORTED", "XDP_DROP", "XDP_PASS",
    "XDP_TX", "bool_", "boot_ns", "cgroup_id", "char", "comm", "compile_probe", "cpu",
    "format_histogram", "gid", "ktime_ns", "load_module", "log2", "module_probes", "pid",
    "pid_tgid", "prandom", "probe", "probe_read_kernel", "probe_read_kernel_str",
    "probe_read_user", "probe_read_user_str", "s8", "s16", "s32", "s64", "send_signal", "task",
    "tid", "u8", "u16", "u32", "u64", "uid",
]
