"""Probes: ``@probe("tracepoint/syscalls/sys_enter_openat")`` and the load/attach/read/detach
lifecycle (`Session`).

>>> from pybpf.dsl import HashMap, probe, u32, u64, pid
>>> counts = HashMap(u32, u64)
>>> @probe("raw_tracepoint/sys_enter")
... def count(ctx):
...     counts[pid()] += 1
>>> with Session([count]) as s:                                 # doctest: +SKIP
...     time.sleep(1); print(dict(counts.items()))
"""

from __future__ import annotations

import importlib.util
import sys
import time
import types
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import DslError, PybpfError
from ..isa.program import ProgramSpec
from .compiler import compile_probe
from .maps import DslMap, PerfBuf, RingBuf

__all__ = ["Probe", "Session", "attach_probe", "load_module", "probe"]


class Probe:
    """A probe function and where it attaches; `compile` gives its `ProgramSpec`."""

    def __init__(self, fn: Callable[..., Any], section: str, *, target: str | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.fn = fn
        self.section = section
        self.target = target  # XDP interface, perf event options...
        self.options = options or {}
        self.name = fn.__name__
        self._program: ProgramSpec | None = None

    def compile(self, *, verify: bool | None = None) -> ProgramSpec:
        """The compiled `ProgramSpec` (cached). ``verify`` defaults to the probe's ``precheck``
        option (True): pybpf's verifier checks the program before the kernel sees it."""
        if verify is None:
            verify = bool(self.options.get("precheck", True))
        if self._program is None:
            self._program = compile_probe(self.fn, self.section, verify=verify)
        return self._program

    def __call__(self, *args: Any, **kw: Any) -> Any:
        raise DslError(f"probe {self.name} runs in the kernel: load it with a Session")

    def __repr__(self) -> str:
        return f"Probe({self.name!r}, {self.section!r})"


def probe(section: str, **options: Any) -> Callable[[Callable[..., Any]], Probe]:
    """Decorator: ``@probe("tracepoint/CAT/NAME")``, ``@probe("raw_tracepoint/NAME")``,
    ``@probe("xdp", iface="veth0")``, ``@probe("perf_event", frequency=99)``.

    ``precheck=False`` skips pybpf's verifier before load (the kernel still verifies)."""

    def wrap(fn: Callable[..., Any]) -> Probe:
        return Probe(fn, section, target=options.pop("iface", None), options=options)

    return wrap


class Session:
    """Loads probes (maps shared by name), attaches them, reads events, detaches on close.

    ``on_event(event)`` receives each ring/perf buffer record decoded to its Struct. With
    ``batch=True`` ring buffers are read with `read_batch` instead, as numpy structured
    arrays of the event's `Struct.dtype`. ``maps`` gives kernel maps to use instead of
    creating them, by map name (maps reopened from bpffs pins); the session owns them.
    With ``attach=False`` nothing is attached: `attach_probe` attaches one probe.
    """

    def __init__(self, probes: Iterable[Probe], *, on_event: Callable[[Any], None] | None = None,
                 attach: bool = True, batch: bool = False, maps: dict[str, Any] | None = None) -> None:
        from ..kernel import create_map

        self.probes = list(probes)
        self.on_event = on_event
        self.maps: dict[str, DslMap] = {}
        self.kernel_maps: dict[str, Any] = {}
        self.progs: list[Any] = []
        self.links: list[Any] = []
        self.readers: list[Any] = []
        self.events: list[Any] = []
        self.batch = batch
        self._ring_index: dict[str, tuple[Any, int]] = {}
        try:
            programs = [(p, p.compile()) for p in self.probes]
            for p, prog in programs:
                for name, decl in prog.maps.items():
                    if name not in self.kernel_maps:
                        given = (maps or {}).get(name)
                        self.kernel_maps[name] = given if given is not None else create_map(decl)
                        obj = p.fn.__globals__[name]
                        obj.kernel, obj.name = self.kernel_maps[name], name
                        self.maps[name] = obj

            for _, prog in programs:
                self.progs.append(load_with_lines(prog, self.kernel_maps))
            if attach:
                for p, pr in zip(self.probes, self.progs, strict=True):
                    self.links.append(attach_probe(p, pr))
            for m in self.maps.values():
                if isinstance(m, RingBuf) and batch:
                    from ..kernel import RingBuffer

                    rb = RingBuffer(m.kernel, dtype=m.event.dtype())
                    self.readers.append(rb)
                    self._ring_index[m.name or ""] = (rb, 0)
                elif isinstance(m, RingBuf):
                    self._add_ring(m)
                elif isinstance(m, PerfBuf):
                    self._add_perf(m)
        except BaseException:
            self.close()
            raise

    def _deliver(self, struct: Any) -> Callable[[Any], None]:
        def cb(raw: Any) -> None:
            ev = struct.decode(bytes(raw))
            if self.on_event is not None:
                self.on_event(ev)
            else:
                self.events.append(ev)
        return cb

    def _add_ring(self, m: RingBuf) -> None:
        from ..kernel import RingBuffer

        self.readers.append(RingBuffer(m.kernel, self._deliver(m.event), as_bytes=True))

    def _add_perf(self, m: PerfBuf) -> None:
        from ..kernel import PerfBuffer

        deliver = self._deliver(m.event)
        self.readers.append(PerfBuffer(m.kernel, lambda _cpu, raw: deliver(raw), as_bytes=True))

    def poll(self, timeout_ms: int = 100) -> int:
        """Deliver pending events (to ``on_event`` or `events`); returns how many."""
        n = 0
        batch_readers = {id(rb) for rb, _ in self._ring_index.values()}
        for r in self.readers:
            if id(r) not in batch_readers:
                n += r.poll(timeout_ms if len(self.readers) == 1 else 0) or 0
        return n

    def read_batch(self, ring: RingBuf, timeout_ms: int = 0) -> Any:
        """Every event waiting in ``ring`` as one numpy structured array (``batch=True``)."""
        entry = self._ring_index.get(ring.name or "")
        if entry is None:
            raise DslError(f"ring buffer {ring.name!r} is not read in batch mode "
                           "(Session(..., batch=True))")
        rb, index = entry
        return rb.read_batch(timeout_ms, ring=index)

    def run(self, duration: float | None = None, tick: Callable[[], None] | None = None,
            interval: float = 1.0) -> None:
        """Poll until ``duration`` seconds pass (forever if None) or Ctrl-C."""
        end = None if duration is None else time.monotonic() + duration
        last = time.monotonic()
        try:
            while end is None or time.monotonic() < end:
                if self.readers:
                    self.poll(100)
                else:
                    time.sleep(0.1)
                if tick is not None and time.monotonic() - last >= interval:
                    last = time.monotonic()
                    tick()
        except KeyboardInterrupt:
            pass

    def close(self) -> None:
        for group in (self.readers, self.links, self.progs):
            for obj in reversed(group):
                try:
                    obj.close()
                except PybpfError:
                    pass
            group.clear()
        for m in self.kernel_maps.values():
            m.close()
        for m in self.maps.values():
            m.kernel = None
        self.kernel_maps.clear()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_with_lines(prog: ProgramSpec, maps: dict[str, Any]) -> Any:
    """Load ``prog`` with BTF line info naming its Python lines (the kernel's log and
    ``bpftool prog dump xlated`` then show them)."""
    from ..errors import ProgLoadError
    from ..kernel import load
    from ..kernel.btf import load_btf
    from .lineinfo import FUNC_INFO_REC, LINE_INFO_REC, line_info_blobs

    blob, func_info, line_info = line_info_blobs(prog)
    with load_btf(blob) as btf:
        try:
            return load(prog, maps=maps, prog_btf_fd=btf.fd, func_info=func_info,
                        func_info_rec_size=FUNC_INFO_REC, line_info=line_info,
                        line_info_rec_size=LINE_INFO_REC)
        except ProgLoadError as e:
            raise kernel_reject(prog, e) from e


def kernel_reject(prog: ProgramSpec, err: Any) -> DslError:
    """The kernel verifier's rejection as a `DslError` at the Python line of the last
    instruction its log shows (log pcs are slots)."""
    import re

    log = getattr(err, "log", "") or ""
    pcs = [int(m.group(1)) for m in re.finditer(r"^(\d+): \(", log, re.M)]
    lines = [ln for ln in log.strip().splitlines() if ln.strip()]
    reason = next((ln for ln in reversed(lines) if not ln.startswith(("processed ", "verification time"))),
                  str(err))
    src = None
    if pcs:
        try:
            src = prog.lines.get(prog.index_of_slot(pcs[-1]))
        except Exception:  # noqa: BLE001 - a pc in the middle of an lddw: no line
            src = None
    return DslError(f"the kernel rejects probe {prog.name}: {reason}\n  (errno {err.errno}; the "
                    "whole verifier log is in this error's __cause__.log)",
                    filename=getattr(src, "filename", None), line=getattr(src, "line", None),
                    column=getattr(src, "column", None), source=getattr(src, "text", None) or None)


def attach_probe(p: Probe, prog: Any) -> Any:
    """Attach the loaded program ``prog`` of probe ``p`` where its section says; the `Link`."""
    from ..kernel import link

    kind, _, rest = p.section.partition("/")
    if kind in ("tracepoint", "tp"):
        return link.tracepoint(prog, rest.replace("/", ":", 1))
    if kind in ("raw_tracepoint", "raw_tp"):
        return link.raw_tracepoint(prog, rest)
    if kind == "xdp":
        if p.target is None:
            raise DslError(f"probe {p.name}: an XDP probe needs iface= (@probe('xdp', iface='eth0'))")
        return link.xdp(prog, p.target, mode=p.options.get("mode"))
    if kind == "perf_event":
        return link.perf_event(prog, frequency=p.options.get("frequency", 99))
    raise DslError(f"probe {p.name}: cannot attach {p.section!r}")


def load_module(path: str) -> types.ModuleType:
    """Import a probe file (``examples/opensnoop.py``) as a module."""
    name = "pybpf_probe_" + path.replace("/", "_").replace(".", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DslError(f"cannot import {path}", filename=path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def module_probes(mod: types.ModuleType) -> list[Probe]:
    return [v for v in vars(mod).values() if isinstance(v, Probe)]
