"""Names probes import: each helper stub only runs in the kernel (calling one from Python
raises `DslError`); the compiler recognises them by name. XDP action constants."""

from __future__ import annotations

from typing import Any

from ..errors import DslError

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX = 0, 1, 2, 3


def _stub(name: str, doc: str) -> Any:
    def fn(*args: Any) -> Any:
        raise DslError(f"{name}() runs only inside a probe (compiled to a BPF helper call)")

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


pid_tgid = _stub("pid_tgid", "tgid << 32 | tid of the current task")
pid = _stub("pid", "the current process id (tgid)")
tid = _stub("tid", "the current thread id")
uid = _stub("uid", "the current uid")
gid = _stub("gid", "the current gid")
ktime_ns = _stub("ktime_ns", "monotonic time in ns")
boot_ns = _stub("boot_ns", "boot time in ns")
cpu = _stub("cpu", "the current CPU")
prandom = _stub("prandom", "a pseudo-random u32")
cgroup_id = _stub("cgroup_id", "the current cgroup id")
task = _stub("task", "the current task_struct address")
send_signal = _stub("send_signal", "send_signal(sig): signal the current process")
comm = _stub("comm", "the current task's command name (char[16])")
log2 = _stub("log2", "floor(log2(v))")
probe_read_user_str = _stub("probe_read_user_str", "dst = probe_read_user_str(ptr)")
probe_read_kernel_str = _stub("probe_read_kernel_str", "dst = probe_read_kernel_str(ptr)")
probe_read_user = _stub("probe_read_user", "dst = probe_read_user(ptr)")
probe_read_kernel = _stub("probe_read_kernel", "dst = probe_read_kernel(ptr)")

# bpftrace's builtins (see pybpf.dsl.library); str, print, min, max, sum and exit are Python's
nsecs = _stub("nsecs", "monotonic time in ns (bpftrace's nsecs)")
elapsed = _stub("elapsed", "ns since the run started")
cgroup = _stub("cgroup", "the current cgroup id")
rand = _stub("rand", "a pseudo-random u32")
curtask = _stub("curtask", "the current task_struct (followable: curtask().real_parent.pid)")
kstack = _stub("kstack", "kstack() / kstack(depth): the kernel stack, for keys and printf")
ustack = _stub("ustack", "ustack() / ustack(depth): the user stack, for keys and printf")
probe_name = _stub("probe_name", "the attach point's full name (bpftrace's probe)")
func = _stub("func", "the probed function's name")
ksym = _stub("ksym", "ksym(addr): printed as the kernel symbol")
usym = _stub("usym", "usym(addr): printed as the user symbol")
kaddr = _stub("kaddr", 'kaddr("name"): the address of a kernel symbol')
printf = _stub("printf", "printf(fmt, args...): formatted in userspace, C rules")
print_time = _stub("print_time", 'print_time("%H:%M:%S\\n"): the wall-clock time')
join = _stub("join", "join(argv, delim=' '): a NULL-terminated array of strings")
clear = _stub("clear", "clear(map): delete every entry")
zero = _stub("zero", "zero(map): every value to zero")
exit = _stub("exit", "exit(): end the run")  # noqa: A001 - bpftrace's name, only in probes
count = _stub("count", "at.m[k] = count()")
avg = _stub("avg", "at.m[k] = avg(v)")
stats = _stub("stats", "at.m[k] = stats(v): count, average, total")
hist = _stub("hist", "at.m[k] = hist(v): a log2 histogram")
lhist = _stub("lhist", "at.m[k] = lhist(v, min, max, step): a linear histogram")
kptr = _stub("kptr", 'kptr("task_struct", p): p as a pointer to a kernel struct')
ntop = _stub("ntop", "ntop(addr) / ntop(af, addr): an IPv4/IPv6 address, printed as text")
buf = _stub("buf", "buf(p, n): n bytes at p, printed by printf's %r with \\xNN escapes")
bswap = _stub("bswap", "bswap(x): x with its bytes reversed, at x's width")
deref = _stub("deref", "deref(p) / deref(p, u32): the integer at the address p (bpftrace's *p)")
cat = _stub("cat", 'cat("/proc/%d/status", pid()): print a file\'s contents')
loop = _stub("loop", "loop(n, fn, state): bpf_loop, fn(i, state) called n times")
