"""Trace TCP connects (sock:inet_sock_set_state): who connected where.

The SYN_SENT transition runs in the connecting process (pid, comm are recorded by socket);
the SYN_SENT -> ESTABLISHED transition knows both ports and sends the event.

    pybpf probe examples/tcpconnect.py --duration 10
"""

import socket

from pybpf.dsl import HashMap, RingBuf, Struct, char, comm, ktime_ns, pid, probe, u8, u16, u32, u64

TCP_ESTABLISHED, TCP_SYN_SENT, TCP_CLOSE = 1, 2, 7
AF_INET, IPPROTO_TCP = 2, 6


class Who(Struct):
    pid: u32
    ts: u64
    comm: char[16]


class Conn(Struct):
    pid: u32
    sport: u16
    dport: u16
    saddr: u8[4]
    daddr: u8[4]
    lat_ns: u64
    comm: char[16]


connecting = HashMap(u64, Who, max_entries=4096)
events = RingBuf(Conn, size=1 << 16)


@probe("tracepoint/sock/inet_sock_set_state")
def on_state(ctx):
    if ctx.protocol != IPPROTO_TCP or ctx.family != AF_INET:
        return 0
    if ctx.oldstate == TCP_CLOSE and ctx.newstate == TCP_SYN_SENT:
        w = Who()
        w.pid = pid()
        w.ts = ktime_ns()
        w.comm = comm()
        connecting[ctx.skaddr] = w
        return 0
    if ctx.oldstate != TCP_SYN_SENT:
        return 0
    who = connecting.lookup(ctx.skaddr)
    if who is None:
        return 0
    if ctx.newstate == TCP_ESTABLISHED:
        e = Conn()
        e.pid = who.pid
        e.comm = who.comm
        e.sport = ctx.sport
        e.dport = ctx.dport
        e.saddr = ctx.saddr
        e.daddr = ctx.daddr
        e.lat_ns = ktime_ns() - who.ts
        events.output(e)
    del connecting[ctx.skaddr]
    return 0


def format_event(e):
    src = socket.inet_ntoa(bytes(e.saddr))
    dst = socket.inet_ntoa(bytes(e.daddr))
    return (f"{e.pid:<7} {e.comm.decode(errors='replace'):<16} {src}:{e.sport} -> {dst}:{e.dport}"
            f"  {e.lat_ns / 1000:.1f}us")
