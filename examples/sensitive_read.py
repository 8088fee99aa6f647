"""Falco-style rule: alert when a process whose name is not on an allow list opens a file
under a watched directory.

    PYBPF_WATCH_DIR=/etc/secrets pybpf probe examples/sensitive_read.py --duration 30

``watch`` holds the directory prefix as 16 words plus a mask (a byte-wise prefix test done
8 bytes at a time); ``allowed`` holds the allowed command names.
"""

import os

from pybpf.dsl import (
    ArrayMap,
    HashMap,
    RingBuf,
    Struct,
    char,
    comm,
    pid,
    probe,
    probe_read_user_str,
    u8,
    u32,
    u64,
)


class Watch(Struct):
    prefix: u64[16]
    mask: u64[16]


class Name(Struct):
    w: u64[16]


class Alert(Struct):
    pid: u32
    comm: char[16]
    filename: char[128]


watch = ArrayMap(Watch, 1)
allowed = HashMap(char[16], u8, max_entries=64)
alerts = RingBuf(Alert, size=1 << 16)


@probe("tracepoint/syscalls/sys_enter_openat")
def on_open(ctx):
    cfg = watch.lookup(0)
    if cfg is None or cfg.mask[0] == 0:  # no directory watched yet
        return 0
    n = Name()
    n.w = probe_read_user_str(ctx.filename)
    for k in range(16):
        if n.w[k] & cfg.mask[k] != cfg.prefix[k]:
            return 0
    a = Alert()
    a.comm = comm()
    if allowed.get(a.comm, 0):
        return 0
    a.pid = pid()
    a.filename = probe_read_user_str(ctx.filename)
    alerts.output(a)
    return 0


def watch_dir(path: str, allow: tuple[str, ...] = ()) -> None:
    """Watch files under ``path`` (from userspace, after load); ``allow`` lists comm names."""
    prefix = path.rstrip("/").encode() + b"/"
    raw = prefix.ljust(128, b"\0")
    mask = (b"\xff" * len(prefix)).ljust(128, b"\0")
    words = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, 128, 8)]
    masks = [int.from_bytes(mask[i:i + 8], "little") for i in range(0, 128, 8)]
    watch[0] = {"prefix": words, "mask": masks}
    for name in allow:
        allowed[name.encode()] = 1


def setup():
    path = os.environ.get("PYBPF_WATCH_DIR")
    if path:
        watch_dir(path, tuple(os.environ.get("PYBPF_ALLOW", "").split(",")))


def format_event(a):
    return f"ALERT pid={a.pid} comm={a.comm.decode(errors='replace')} opened {a.filename.decode()}"
