"""A probe with every kind of map the exporter shows (tests/export/test_exporter.py)."""

from pybpf.dsl import (
    ArrayMap,
    Global,
    HashMap,
    PerCpuHashMap,
    Struct,
    cgroup_id,
    char,
    comm,
    log2,
    pid,
    probe,
    u8,
    u16,
    u32,
    u64,
)
from pybpf.export import counter, gauge, histogram, linear_buckets

GETPPID = 110  # x86-64


class Who(Struct):
    pid: u32
    syscall: u32


class Traffic(Struct):
    calls: u64
    last_id: u64


class Slot(Struct):
    comm: char[16]
    slot: u32


class Dest(Struct):
    daddr6: u8[16]  # first: the DSL copies a u8[16] at struct offset 4 with misaligned u64 stores
    daddr: u8[4]
    dport: u16


by_who = HashMap(Who, u64, max_entries=4096)
connects = HashMap(Dest, u64, max_entries=1024)
per_cpu = PerCpuHashMap(char[16], u64, max_entries=1024)
traffic = HashMap(char[16], Traffic, max_entries=1024)
linear = ArrayMap(u64, 8)
keyed = HashMap(Slot, u64, max_entries=1024)
by_cgroup = HashMap(u64, u64, max_entries=1024)
total = Global(u64)
latest = Global(u64)

METRICS = {
    "by_who": counter("rich_syscalls", help="System calls by pid and number"),
    "traffic": gauge("rich_traffic", fields={"calls": "calls"}),
    linear: histogram("rich_linear", buckets=linear_buckets(0, 100), scale=0.5),
    "keyed": histogram("rich_keyed", bucket="slot"),
    "total": counter("rich_total"),
}


@probe("tracepoint/raw_syscalls/sys_enter")
def on_enter(ctx):
    if ctx.id != GETPPID:
        return 0
    k = Who()
    k.pid = pid()
    k.syscall = ctx.id
    by_who[k] += 1
    per_cpu[comm()] += 1
    t = traffic.lookup(comm())
    if t is None:
        v = Traffic()
        v.calls = 1
        v.last_id = ctx.id
        traffic[comm()] = v
    else:
        t.calls += 1
    n = total.value
    slot = n % 1000 // 100
    linear[slot] += 1
    s = Slot()
    s.comm = comm()
    s.slot = log2(n)
    keyed[s] += 1
    by_cgroup[cgroup_id()] += 1
    total.value += 1
    latest.value = ctx.id
    return 0


@probe("tracepoint/sock/inet_sock_set_state")
def on_state(ctx):
    if ctx.protocol != 6 or ctx.newstate != 2:  # TCP, -> SYN_SENT: a connect() starts
        return 0
    d = Dest()
    d.daddr = ctx.daddr
    d.daddr6 = ctx.daddr_v6
    d.dport = ctx.dport
    connects[d] += 1
    return 0
