"""Kernel helpers by DSL name, with the argument types the compiler checks.

Scalar helpers map one DSL call to one BPF helper (optionally followed by a shift or
mask); the compiler handles the ones that write into a buffer (``comm()``,
``probe_read_*``) itself.

>>> SCALAR_HELPERS["ktime_ns"].helper
'ktime_get_ns'
"""

from __future__ import annotations

from .._record import record
from .types import IntType, s64, u32, u64


@record(frozen=True)
class ScalarHelper:
    """``name(args...)`` -> ``helper`` call; ``args`` are the scalar parameter types;
    the result is ``ret`` after ``shift`` right / ``mask``."""

    helper: str
    args: tuple[IntType, ...]
    ret: IntType
    shift: int = 0
    mask: int = 0
    doc: str = ""


SCALAR_HELPERS: dict[str, ScalarHelper] = {
    "pid_tgid": ScalarHelper("get_current_pid_tgid", (), u64, doc="tgid << 32 | tid"),
    "pid": ScalarHelper("get_current_pid_tgid", (), u32, shift=32, doc="the process id (tgid)"),
    "tid": ScalarHelper("get_current_pid_tgid", (), u32, mask=0xFFFFFFFF, doc="the thread id"),
    "uid_gid": ScalarHelper("get_current_uid_gid", (), u64),
    "uid": ScalarHelper("get_current_uid_gid", (), u32, mask=0xFFFFFFFF),
    "gid": ScalarHelper("get_current_uid_gid", (), u32, shift=32),
    "ktime_ns": ScalarHelper("ktime_get_ns", (), u64),
    "boot_ns": ScalarHelper("ktime_get_boot_ns", (), u64),
    "cpu": ScalarHelper("get_smp_processor_id", (), u32),
    "prandom": ScalarHelper("get_prandom_u32", (), u32),
    "cgroup_id": ScalarHelper("get_current_cgroup_id", (), u64),
    "task": ScalarHelper("get_current_task", (), u64, doc="the current task_struct address"),
    "send_signal": ScalarHelper("send_signal", (u32,), s64, doc="signal the current process"),
    "send_signal_thread": ScalarHelper("send_signal_thread", (u32,), s64),
}

#: buffer helpers: name -> (BPF helper, takes a source pointer)
BUFFER_HELPERS: dict[str, str] = {
    "probe_read_user_str": "probe_read_user_str",
    "probe_read_kernel_str": "probe_read_kernel_str",
    "probe_read_user": "probe_read_user",
    "probe_read_kernel": "probe_read_kernel",
}
