"""Attach points: what a probe name means, in bpftrace's spelling or libbpf's.

A probe name (``"tracepoint:syscalls:sys_enter_openat"``, ``"uretprobe:/bin/bash:readline"``,
``"profile:hz:99"``, ``"interval:s:1"``, ``"BEGIN"``, or a libbpf section such as
``"tracepoint/raw_syscalls/sys_enter"``, ``"raw_tracepoint/sched_switch"``, ``"xdp"``) becomes
one or more `AttachPoint`s: wildcards (``tracepoint:sched:sched*``) expand against tracefs, a
library name (``uprobe:libc:malloc``) resolves to its file. Each attach point has its program
type, the libbpf-style section its context is read from, and the bpftrace-style full name the
``probe`` builtin prints.

>>> [ap.name for ap in parse_probe("profile:hz:99")]
['profile:hz:99']
>>> ap = parse_probe("interval:ms:250")[0]
>>> ap.kind, ap.prog_type, ap.period_ns
('interval', 'perf_event', 250000000)
>>> parse_probe("raw_tracepoint/sched_switch")[0].name
'rawtracepoint:sched_switch'
>>> parse_probe("BEGIN")[0].kind
'begin'
"""

from __future__ import annotations

import os

from .._record import Frozen
from ..errors import DslError

__all__ = ["AttachPoint", "parse_probe", "resolve_library", "kprobes_available"]

#: bpftrace's probe kinds and their short aliases
_ALIASES = {"t": "tracepoint", "tp": "tracepoint", "rawtracepoint": "raw_tracepoint",
            "rt": "raw_tracepoint", "raw_tp": "raw_tracepoint", "u": "uprobe", "ur": "uretprobe",
            "k": "kprobe", "kr": "kretprobe", "p": "profile", "i": "interval", "U": "usdt"}
_UNITS_NS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_PROG_TYPES = {"tracepoint": "tracepoint", "raw_tracepoint": "raw_tracepoint", "uprobe": "kprobe",
               "uretprobe": "kprobe", "usdt": "kprobe", "kprobe": "kprobe", "kretprobe": "kprobe",
               "profile": "perf_event", "interval": "perf_event", "perf_event": "perf_event",
               "begin": "raw_tracepoint", "end": "raw_tracepoint", "xdp": "xdp", "tc": "sched_cls"}


class AttachPoint(Frozen):
    """One place a program runs.

    ``kind``: tracepoint, raw_tracepoint, uprobe, uretprobe, usdt, kprobe, kretprobe, profile,
    interval, perf_event, begin, end, xdp or tc. ``target``: ``"cat:name"`` for tracepoints, the
    raw tracepoint or kernel function name, the binary's path for uprobes and USDT.
    ``symbol``: the function (uprobes) or ``provider:name`` (USDT). ``rate``: samples per
    second (``profile:hz:N``) or 0; ``period_ns``: the period of ``interval``/``profile:ms:N``.
    """

    # (a frozen record written out: every probe's start-up makes the class)
    __slots__ = __match_args__ = ("kind", "target", "symbol", "rate", "period_ns", "iface",
                                  "written")
    kind: str
    target: str
    symbol: str
    rate: int
    period_ns: int
    iface: str | None
    written: str  # the binary as the probe name spells it (``libc``, ``/bin/bash``)

    def __init__(self, kind: str, target: str = "", symbol: str = "", rate: int = 0,
                 period_ns: int = 0, iface: str | None = None, written: str = "") -> None:
        set_ = object.__setattr__
        set_(self, "kind", kind)
        set_(self, "target", target)
        set_(self, "symbol", symbol)
        set_(self, "rate", rate)
        set_(self, "period_ns", period_ns)
        set_(self, "iface", iface)
        set_(self, "written", written)

    @property
    def prog_type(self) -> str:
        return _PROG_TYPES[self.kind]

    @property
    def name(self) -> str:
        """The full name in bpftrace's spelling (what the ``probe`` builtin gives)."""
        k = self.kind
        if k in ("begin", "end"):
            return k.upper()
        if k == "tracepoint":
            return f"tracepoint:{self.target}"
        if k == "raw_tracepoint":
            return f"rawtracepoint:{self.target}"
        if k in ("uprobe", "uretprobe", "usdt"):
            return f"{k}:{self.written or self.target}:{self.symbol}"
        if k in ("kprobe", "kretprobe"):
            return f"{k}:{self.target}"
        if k in ("profile", "interval"):
            return f"{k}:{_rate_text(self.rate, self.period_ns)}"
        return k

    @property
    def section(self) -> str:
        """The libbpf-style section name (what `pybpf.dsl.context.ContextSpec` reads)."""
        k = self.kind
        if k == "tracepoint":
            return "tracepoint/" + self.target.replace(":", "/", 1)
        if k == "raw_tracepoint":
            return f"raw_tracepoint/{self.target}"
        if k in ("uprobe", "uretprobe", "usdt"):
            return f"{k}/{self.target}:{self.symbol}"
        if k in ("kprobe", "kretprobe"):
            return f"{k}/{self.target}"
        if k in ("profile", "interval", "perf_event"):
            return "perf_event"
        if k in ("begin", "end"):
            return f"raw_tracepoint/{k.upper()}"
        return k


def _rate_text(rate: int, period_ns: int) -> str:
    if rate:
        return f"hz:{rate}"
    for unit in ("s", "ms", "us"):
        if period_ns % _UNITS_NS[unit] == 0:
            return f"{unit}:{period_ns // _UNITS_NS[unit]}"
    return f"ns:{period_ns}"


def parse_probe(spec: str, *, iface: str | None = None) -> list[AttachPoint]:
    """The attach points ``spec`` names (a wildcard may name several); `DslError` when it
    names none or is malformed. ``spec`` may be a comma-separated list."""
    out: list[AttachPoint] = []
    for part in (p.strip() for p in spec.split(",")):
        if part:
            out.extend(_parse_one(part, iface))
    if not out:
        raise DslError(f"probe {spec!r} names no attach point")
    return out


def _parse_one(spec: str, iface: str | None) -> list[AttachPoint]:
    if spec in ("BEGIN", "END"):
        return [AttachPoint(spec.lower())]
    if spec in ("xdp", "tc", "perf_event"):
        return [AttachPoint(spec, iface=iface)]
    if "/" in spec.split(":", 1)[0]:  # libbpf section: tracepoint/cat/name, raw_tp/name, ...
        kind, _, rest = spec.partition("/")
        kind = _ALIASES.get(kind, kind)
        if kind == "tracepoint":
            return _tracepoints(rest.replace("/", ":", 1), spec)
        if kind == "raw_tracepoint" and rest:
            return [AttachPoint("raw_tracepoint", rest)]
        if kind in ("uprobe", "uretprobe") and ":" in rest:
            path, _, sym = rest.rpartition(":")
            return [AttachPoint(kind, resolve_library(path, spec), sym, written=path)]
        if kind in ("kprobe", "kretprobe") and rest:
            return [AttachPoint(kind, rest)]
        raise DslError(f"unknown probe {spec!r} (libbpf sections: tracepoint/CAT/NAME, "
                       "raw_tracepoint/NAME, uprobe/PATH:FUNC, xdp, tc, perf_event)")
    kind, _, rest = spec.partition(":")
    kind = _ALIASES.get(kind, kind)
    if kind == "tracepoint":
        return _tracepoints(rest, spec)
    if kind == "raw_tracepoint":
        if not rest:
            raise DslError(f"{spec!r}: a raw tracepoint is rawtracepoint:NAME")
        return [AttachPoint("raw_tracepoint", rest)]
    if kind in ("uprobe", "uretprobe"):
        path, _, sym = rest.rpartition(":")
        if not path or not sym:
            raise DslError(f"{spec!r}: a {kind} is {kind}:BINARY:FUNCTION")
        return [AttachPoint(kind, resolve_library(path, spec), sym, written=path)]
    if kind == "usdt":
        parts = rest.split(":")
        if len(parts) not in (2, 3) or not all(parts):
            raise DslError(f"{spec!r}: a USDT probe is usdt:BINARY:[PROVIDER:]NAME")
        return [AttachPoint("usdt", resolve_library(parts[0], spec), ":".join(parts[1:]),
                            written=parts[0])]
    if kind in ("kprobe", "kretprobe"):
        if not rest:
            raise DslError(f"{spec!r}: a {kind} is {kind}:FUNCTION")
        return [AttachPoint(kind, rest)]
    if kind in ("profile", "interval"):
        unit, _, count = rest.partition(":")
        if not count.isdigit() or int(count) <= 0 or (unit not in _UNITS_NS and unit != "hz"):
            raise DslError(f"{spec!r}: {kind} takes a unit and a positive count "
                           f"({kind}:hz:99, {kind}:s:1, {kind}:ms:100, {kind}:us:500)")
        n = int(count)
        if unit == "hz":
            return [AttachPoint(kind, rate=n, period_ns=1_000_000_000 // n if kind == "interval" else 0)]
        return [AttachPoint(kind, period_ns=n * _UNITS_NS[unit])]
    raise DslError(f"unknown probe type {kind!r} in {spec!r} (tracepoint, rawtracepoint, uprobe, "
                   "uretprobe, usdt, kprobe, kretprobe, profile, interval, BEGIN, END)")


def _tracepoints(rest: str, spec: str) -> list[AttachPoint]:
    cat, _, name = rest.partition(":")
    if not cat or not name:
        raise DslError(f"{spec!r}: a tracepoint is tracepoint:CATEGORY:NAME")
    if not any(ch in rest for ch in "*?["):
        return [AttachPoint("tracepoint", f"{cat}:{name}")]
    import fnmatch

    from ..kernel.tracefs import list_categories, list_events

    found = [AttachPoint("tracepoint", f"{c}:{n}")
             for c in (x for x in list_categories() if fnmatch.fnmatchcase(x, cat))
             for _, n in list_events(c) if fnmatch.fnmatchcase(n, name)]
    if not found:
        raise DslError(f"{spec!r} matches no tracepoint of this kernel "
                       "(list them with: pybpf trace -l 'tracepoint:*')")
    return found


def resolve_library(name: str, spec: str = "") -> str:
    """The file a uprobe names: a path as given, a program in PATH, or a library by name
    (``libc`` and ``libc.so.6`` both give the libc this system's loader finds)."""
    import shutil

    if os.sep in name:
        if not os.path.isfile(name):
            raise DslError(f"{spec or name!r}: no such file {name}")
        return os.path.realpath(name)
    found = shutil.which(name)
    if found:
        return os.path.realpath(found)
    lib = name if name.startswith("lib") else "lib" + name
    for path in _ldconfig_libraries():
        base = os.path.basename(path)
        if base == lib or base.startswith(lib + ".so"):
            return os.path.realpath(path)
    raise DslError(f"{spec or name!r}: no program or library named {name!r} "
                   "(give the binary's path)")


_LDCONFIG: list[str] | None = None


def _ldconfig_libraries() -> list[str]:
    global _LDCONFIG
    if _LDCONFIG is None:
        import subprocess

        try:
            text = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True,
                                  timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            text = ""
        _LDCONFIG = [line.rpartition(" => ")[2].strip() for line in text.splitlines()
                     if " => " in line and ("x86-64" in line or "64bit" in line)]
    return _LDCONFIG


def kprobes_available() -> bool:
    """Whether this kernel has kprobes (the ``kprobe`` PMU exists)."""
    return os.path.isdir("/sys/bus/event_source/devices/kprobe")
