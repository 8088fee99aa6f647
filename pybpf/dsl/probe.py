"""Probes: ``@probe("tracepoint:syscalls:sys_enter_openat")`` and the load/attach/read/detach
lifecycle (`Session`).

>>> from pybpf.dsl import HashMap, probe, u32, u64, pid
>>> counts = HashMap(u32, u64)
>>> @probe("raw_tracepoint/sys_enter")
... def count(ctx):
...     counts[pid()] += 1
>>> with Session([count]) as s:                                 # doctest: +SKIP
...     time.sleep(1); print(dict(counts.items()))

A probe names one or more attach points (`pybpf.dsl.attach`): bpftrace's spelling
(``tracepoint:sched:sched*``, ``uretprobe:/bin/bash:readline``, ``profile:hz:99``,
``interval:s:1``, ``BEGIN``, ``END``) or a libbpf section (``tracepoint/cat/name``, ``xdp``).
Its function is compiled once per attach point (contexts differ). BEGIN and END programs run
once, in the kernel, through ``BPF_PROG_TEST_RUN`` (as bpftrace runs them): BEGIN after
loading and before the other probes attach, END when the session finishes.
"""

from __future__ import annotations

import sys
import time

from ..errors import DslError, PybpfError
from ..isa.program import ProgramSpec
from .attach import AttachPoint, kprobes_available, parse_probe
from .maps import DslMap, Global, PerfBuf, RingBuf

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    import types
    from collections.abc import Callable, Iterable
    from typing import Any

    from .automap import AutoMap
    from .cache import LineBlobs
    from .events import EventChannel
    from .state import state_of

# The compiler (and the ast module its parse makes) is imported when a probe is compiled: a
# probe kept by pybpf.dsl.cache loads without it (and without pybpf.dsl.lineinfo: the entry
# keeps the line info).

#: the kernel's struct bpf_func_info and struct bpf_line_info sizes (lineinfo's records)
_FUNC_INFO_REC, _LINE_INFO_REC = 8, 16

__all__ = ["Probe", "Session", "attach_probe", "load_module", "probe"]


class Probe:
    """A probe function and where it attaches; `compile` gives its `ProgramSpec` (the first
    attach point's), `programs` one per attach point."""

    def __init__(self, fn: Callable[..., Any] | None, section: str, *, target: str | None = None,
                 options: dict[str, Any] | None = None, tree: Any = None,
                 namespace: dict[str, Any] | None = None, filename: str | None = None,
                 name: str | None = None) -> None:
        self.fn = fn
        self.section = section
        self.target = target  # XDP/tc interface
        self.options = options or {}
        self.tree = tree  # a front end's function tree (pybpf.bpftrace), instead of fn's source
        self.namespace = namespace if namespace is not None else (fn.__globals__ if fn else {})
        self.filename = filename
        self.name = name or (fn.__name__ if fn is not None else tree.name)
        self._points: list[AttachPoint] | None = None
        self._programs: list[tuple[AttachPoint, ProgramSpec, dict[str, DslMap]]] | None = None
        #: the line info pybpf.dsl.cache kept with a program, by id(program) (in _programs)
        self._line_blobs: dict[int, LineBlobs] = {}

    @property
    def attach_points(self) -> list[AttachPoint]:
        if self._points is None:
            try:
                points = parse_probe(self.section, iface=self.target)
            except DslError as e:
                raise self._error(e.message) from None
            if self.options.get("missing_uprobes") == "skip":  # bpftrace drops them silently
                points = [ap for ap in points if ap.kind not in ("uprobe", "uretprobe")
                          or _has_symbol(ap)]
            self._points = points
        return self._points

    def where(self) -> tuple[str | None, int | None]:
        """The file and line of the probe's definition (for errors)."""
        if self.tree is not None:
            return self.filename, getattr(self.tree, "lineno", None)
        code = getattr(self.fn, "__code__", None)
        return (code.co_filename, code.co_firstlineno) if code is not None else (None, None)

    def _error(self, message: str) -> DslError:
        from .lines import getline

        filename, line = self.where()
        source = getline(filename, line).rstrip("\n") if filename and line else None
        column = getattr(self.tree, "col_offset", None) if self.tree is not None else None
        return DslError(f"probe {self.name}: {message}", filename=filename, line=line,
                        column=column + 1 if column is not None else None, source=source or None)

    def programs(self, *, verify: bool | None = None) -> list[tuple[AttachPoint, ProgramSpec,
                                                                    dict[str, DslMap]]]:
        """(attach point, program, maps it uses) for every attach point (cached). With
        ``verify`` (default: the ``precheck`` option when it is True) pybpf's verifier checks
        each program now; by default (``precheck="auto"``) it runs only if the kernel rejects
        the program, to explain the rejection at the probe's line."""
        if verify is None:
            verify = self.options.get("precheck", "auto") is True
        if self._programs is None:
            from . import cache

            out = []
            for ap in self.attach_points:
                kept = cache.load(self, ap)
                blobs: LineBlobs | None
                if kept is not None:
                    prog, maps, blobs = kept
                else:
                    from .compiler import Compiler

                    c = Compiler(self.fn, attach=ap, name=self.name, tree=self.tree,
                                 namespace=self.namespace, filename=self.filename)
                    prog = c.compile()
                    maps = dict(c.maps)
                    blobs = cache.store(self, ap, prog, maps)
                if blobs is not None:
                    self._line_blobs[id(prog)] = blobs
                if verify:
                    from .compiler import check

                    check(prog)
                out.append((ap, prog, maps))
            self._programs = out
        return self._programs

    def line_blobs(self, prog: ProgramSpec) -> tuple[bytes, bytes, bytes] | None:
        """The line info kept with ``prog`` (one of `programs`, unchanged in length), or None."""
        kept = self._line_blobs.get(id(prog)) if self._programs is not None else None
        if kept is None or kept[0] != len(prog.insns) or \
                not any(p is prog for _, p, _ in self._programs or ()):
            return None
        return kept[1]

    def compile(self, *, verify: bool | None = None) -> ProgramSpec:
        """The compiled `ProgramSpec` of the first attach point (cached)."""
        return self.programs(verify=verify)[0][1]

    @property
    def program(self) -> ProgramSpec:
        return self.compile()

    def __call__(self, *args: Any, **kw: Any) -> Any:
        raise DslError(f"probe {self.name} runs in the kernel: load it with a Session")

    def __repr__(self) -> str:
        return f"Probe({self.name!r}, {self.section!r})"


def _has_symbol(ap: AttachPoint) -> bool:
    from ..symbolize import elf_symbols

    return bool(elf_symbols(ap.target).address(ap.symbol))


def _uprobe(prog: Any, ap: AttachPoint) -> Any:
    """A uprobe at ``ap``, its file offset from the cached symbol table of the binary."""
    from ..kernel import link
    from ..symbolize import elf_symbols

    syms = elf_symbols(ap.target)
    addr = syms.address(ap.symbol)
    off = syms.file_offset(addr) if addr else None
    if off is None:  # not a plain function symbol: the loader's own lookup says why
        return link.uprobe(prog, ap.target, ap.symbol, retprobe=ap.kind == "uretprobe")
    return link.uprobe(prog, ap.target, None, offset=off, retprobe=ap.kind == "uretprobe")


def probe(section: str, *more: str, **options: Any) -> Callable[[Callable[..., Any]], Probe]:
    """Decorator: ``@probe("tracepoint:syscalls:sys_enter_openat")``,
    ``@probe("tracepoint:syscalls:sys_enter_open", "tracepoint:syscalls:sys_enter_openat")``,
    ``@probe("uretprobe:/bin/bash:readline")``, ``@probe("profile:hz:99")``,
    ``@probe("interval:s:1")``, ``@probe("BEGIN")``, ``@probe("xdp", iface="veth0")``,
    ``@probe("tc", iface="veth0")``, ``@probe("perf_event", frequency=99)``.

    ``precheck=False`` skips pybpf's verifier before load (the kernel still verifies)."""

    spec = ",".join((section, *more))

    def wrap(fn: Callable[..., Any]) -> Probe:
        return Probe(fn, spec, target=options.pop("iface", None), options=options)

    return wrap


class Session:
    """Loads probes (maps shared by name), runs BEGIN, attaches, reads events, and on close
    runs END and detaches.

    ``on_event(event)`` receives each record of a `RingBuf`/`PerfBuf` decoded to its Struct
    (else they collect in `events`). ``output(text)`` receives what ``printf``, ``print``...
    print (default: standard output). With ``batch=True`` ring buffers are read with
    `read_batch` instead, as numpy structured arrays of the event's `Struct.dtype`. ``maps``
    gives kernel maps to use instead of creating them, by map name (maps reopened from
    bpffs pins); the session owns them. With ``attach=False`` nothing is attached:
    `attach_probe` attaches one probe. ``lineinfo`` (default: each probe's ``lineinfo``
    option, True) loads BTF line info naming the source lines (for ``bpftool prog dump
    xlated``); without it programs load sooner.
    """

    def __init__(self, probes: Iterable[Probe], *, on_event: Callable[[Any], None] | None = None,
                 attach: bool = True, batch: bool = False, maps: dict[str, Any] | None = None,
                 output: Callable[[str], Any] | None = None, lineinfo: bool | None = None) -> None:
        from ..kernel import Map as KernelMap

        self.probes = list(probes)
        self.on_event = on_event
        self.output = output if output is not None else _stdout_write
        self.maps: dict[str, DslMap] = {}
        self.kernel_maps: dict[str, Any] = {}
        self.progs: list[Any] = []
        self.programs: list[tuple[Probe, AttachPoint, Any]] = []
        self.links: list[Any] = []
        self.readers: list[Any] = []
        self.events: list[Any] = []
        self.batch = batch
        self.stopped = False
        self.finished = False
        self.symbolizer: Any = None
        self._ring_index: dict[str, tuple[Any, int]] = {}
        self._channels: list[EventChannel] = []
        try:
            compiled = compile_all(self.probes)
            for _p, _ap, _prog, used in compiled:
                for name, m in used.items():
                    if name not in self.kernel_maps:
                        given = (maps or {}).get(name)
                        self.kernel_maps[name] = given if given is not None else \
                            KernelMap.create(m.decl(name))
                        m.kernel, m.name = self.kernel_maps[name], name
                        self.maps[name] = m
            self._set_start()
            for p, ap, prog, _used in compiled:
                if attach:
                    _check_attachable(p, ap)
                loaded = load_with_lines(prog, self.kernel_maps,
                                         lineinfo=bool(p.options.get("lineinfo", True))
                                         if lineinfo is None else lineinfo,
                                         explain=p.options.get("precheck", "auto") == "auto",
                                         blobs=p.line_blobs(prog))
                self.progs.append(loaded)
                self.programs.append((p, ap, loaded))
            self._add_readers()
            self.run_special("begin")
            if attach:
                for p, ap, pr in self.programs:
                    if ap.kind not in ("begin", "end"):
                        self.links.append(attach_point(p, ap, pr))
        except BaseException:
            self.close()
            raise

    # -- setup -------------------------------------------------------------------------------
    def _set_start(self) -> None:
        """``elapsed`` counts from now (the boot clock, as bpftrace)."""
        for m in self.maps.values():
            if isinstance(m, Global) and m.name == "_start":
                m.write(time.clock_gettime_ns(time.CLOCK_BOOTTIME))

    def _add_readers(self) -> None:
        events = sys.modules.get(f"{__package__}.events")  # (no channel before it is imported)
        for m in self.maps.values():
            if events is not None and isinstance(m, events.EventChannel):
                self._add_channel(m)
            elif isinstance(m, RingBuf) and self.batch:
                from ..kernel import RingBufReader

                rb = RingBufReader(m.kernel, dtype=m.event.dtype())
                self.readers.append(rb)
                self._ring_index[m.name or ""] = (rb, 0)
            elif isinstance(m, RingBuf):
                self._add_ring(m)
            elif isinstance(m, PerfBuf):
                self._add_perf(m)

    def _add_channel(self, ch: EventChannel) -> None:
        from ..kernel import RingBufReader
        from .render import channel_hooks

        ch.hooks = channel_hooks(self, ch)
        self._channels.append(ch)
        self.readers.append(RingBufReader(ch.kernel, lambda raw: ch.dispatch(raw, self.output),
                                       as_bytes=True))

    def _deliver(self, struct: Any) -> Callable[[Any], None]:
        def cb(raw: Any) -> None:
            ev = struct.decode(bytes(raw))
            if self.on_event is not None:
                self.on_event(ev)
            else:
                self.events.append(ev)
        return cb

    def _add_ring(self, m: RingBuf) -> None:
        from ..kernel import RingBufReader

        self.readers.append(RingBufReader(m.kernel, self._deliver(m.event), as_bytes=True))

    def _add_perf(self, m: PerfBuf) -> None:
        from ..kernel import PerfBufReader

        deliver = self._deliver(m.event)
        self.readers.append(PerfBufReader(m.kernel, lambda _cpu, raw: deliver(raw), as_bytes=True))

    def run_special(self, kind: str) -> None:
        """Run the BEGIN (``"begin"``) or END (``"end"``) programs once, in the kernel."""
        for _p, ap, prog in self.programs:
            if ap.kind == kind:
                prog.test_run(repeat=0)

    # -- running -----------------------------------------------------------------------------
    def poll(self, timeout_ms: int = 100) -> int:
        """Deliver pending events (to ``on_event``/`events`, printed text to ``output``);
        returns how many."""
        n = 0
        batch_readers = {id(rb) for rb, _ in self._ring_index.values()}
        readers = [r for r in self.readers if id(r) not in batch_readers]
        for r in readers:
            n += r.poll(timeout_ms if len(readers) == 1 else 0) or 0
        if not n and len(readers) > 1 and timeout_ms:
            time.sleep(min(timeout_ms, 20) / 1000)
        return n

    def read_batch(self, ring: RingBuf, timeout_ms: int = 0) -> Any:
        """Every event waiting in ``ring`` as one numpy structured array (``batch=True``)."""
        entry = self._ring_index.get(ring.name or "")
        if entry is None:
            raise DslError(f"ring buffer {ring.name!r} is not read in batch mode "
                           "(Session(..., batch=True))")
        rb, index = entry
        return rb.read_batch(timeout_ms, ring=index)

    def stop(self) -> None:
        """End `run` at the next poll (``exit()`` in a probe, SIGTERM, ...)."""
        self.stopped = True

    def run(self, duration: float | None = None, tick: Callable[[], None] | None = None,
            interval: float = 1.0) -> None:
        """Poll until ``duration`` seconds pass (forever if None), Ctrl-C or `stop`."""
        end = None if duration is None else time.monotonic() + duration
        last = time.monotonic()
        try:
            while not self.stopped and (end is None or time.monotonic() < end):
                if self.readers:
                    left = 100 if end is None else max(0, min(100, int((end - time.monotonic()) * 1000)))
                    self.poll(left)
                else:
                    time.sleep(0.1)
                if tick is not None and time.monotonic() - last >= interval:
                    last = time.monotonic()
                    tick()
        except KeyboardInterrupt:
            pass

    def finish(self) -> None:
        """Detach the probes, run END, and deliver what is left in the buffers (once)."""
        if self.finished:
            return
        self.finished = True
        for lk in reversed(self.links):
            try:
                lk.close()
            except PybpfError:
                pass
        self.links.clear()
        if self.progs:
            self.run_special("end")
            for _ in range(64):
                if not self.poll(0):
                    break

    def close(self) -> None:
        try:
            if self.progs and not self.finished:
                self.finish()
        finally:
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


def _stdout_write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def compile_all(probes: list[Probe]) -> list[tuple[Probe, AttachPoint, ProgramSpec, dict[str, DslMap]]]:
    """Every program of ``probes``. A probe that reads an `AutoMap` no compiled probe has written
    yet waits until one has (bpftrace types a map by its assignments, wherever they are)."""
    pending = list(probes)
    done: dict[int, list[tuple[AttachPoint, ProgramSpec, dict[str, DslMap]]]] = {}
    while pending:
        waiting: list[tuple[Probe, Any]] = []
        for p in pending:
            try:
                done[id(p)] = p.programs()
            except Exception as e:
                # an UntypedMap (pybpf.dsl.aggregate, imported by the compile that raised it)
                aggregate = sys.modules.get(f"{__package__}.aggregate")
                if aggregate is None or not isinstance(e, aggregate.UntypedMap):
                    raise
                p._programs = None
                waiting.append((p, e))
        if len(waiting) == len(pending):
            raise waiting[0][1]
        pending = [p for p, _ in waiting]
    return [(p, ap, prog, used) for p in probes for ap, prog, used in done[id(p)]]


def load_with_lines(prog: ProgramSpec, maps: dict[str, Any], *, lineinfo: bool = True,
                    explain: bool = False, blobs: tuple[bytes, bytes, bytes] | None = None) -> Any:
    """Load ``prog``, with BTF line info naming its source lines (the kernel's log and
    ``bpftool prog dump xlated`` then show them) unless ``lineinfo`` is False. A rejection is
    a `DslError` at the source line of the instruction the kernel stopped at; with
    ``explain``, pybpf's verifier first tries to explain it (why, and a fix). ``blobs``: the
    line info already made (`pybpf.dsl.cache` keeps it), else it is made here."""
    from .. import errors  # (errors.ProgLoadError is defined at a rejection: read there)
    from ..kernel import LoadOptions, load

    try:
        if not lineinfo and not any(lb.startswith("fn:") for lb in prog.labels):
            return load(prog, maps=maps)  # (subprograms need func_info: bpf_loop insists)
        from ..kernel.btf import load_btf

        if blobs is None:
            from .lineinfo import line_info_blobs

            blobs = line_info_blobs(prog)
        blob, func_info, line_info = blobs
        with load_btf(blob) as btf:
            return load(prog, maps=maps, options=LoadOptions(
                prog_btf_fd=btf.fd, func_info=func_info, func_info_rec_size=_FUNC_INFO_REC,
                line_info=line_info, line_info_rec_size=_LINE_INFO_REC))
    except errors.ProgLoadError as e:
        if explain:
            from .compiler import check

            try:
                check(prog)
            except DslError as ours:
                raise ours from e
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


def check_attachable(probes: list[Probe]) -> None:
    """Refuse what this kernel cannot attach (kprobes here), before anything loads."""
    for p in probes:
        for ap in p.attach_points:
            if ap.kind in ("kprobe", "kretprobe"):
                _check_attachable(p, ap)


def _check_attachable(p: Probe, ap: AttachPoint) -> None:
    """Refuse, before anything loads, what this kernel or this probe cannot attach."""
    if ap.kind in ("kprobe", "kretprobe") and not kprobes_available():
        raise p._error(f"{ap.name}: this kernel has no kprobes (built without CONFIG_KPROBES: "
                       "/sys/bus/event_source/devices/kprobe is missing); trace a tracepoint "
                       "instead (list them: pybpf trace -l 'tracepoint:*')")
    if ap.kind in ("xdp", "tc") and not (ap.iface or p.target):
        raise p._error(f"an {ap.kind.upper() if ap.kind == 'xdp' else 'tc'} probe needs the "
                       f"interface: @probe({ap.kind!r}, iface='eth0')")


def attach_point(p: Probe, ap: AttachPoint, prog: Any) -> Any:
    """Attach the loaded program ``prog`` of probe ``p`` at ``ap``; the `Link`."""
    from ..kernel import link

    _check_attachable(p, ap)
    k = ap.kind
    if k == "tracepoint":
        return link.tracepoint(prog, ap.target)
    if k == "raw_tracepoint":
        return link.raw_tracepoint(prog, ap.target)
    if k in ("uprobe", "uretprobe"):
        return _uprobe(prog, ap)
    if k == "usdt":
        from .usdt import attach_usdt

        return attach_usdt(prog, ap.target, ap.symbol)
    if k in ("kprobe", "kretprobe"):
        return link.kprobe(prog, ap.target, retprobe=k == "kretprobe")
    if k == "profile":
        if ap.rate:
            return link.perf_event(prog, frequency=ap.rate)
        return link.perf_event(prog, period=ap.period_ns)
    if k == "interval":
        return link.perf_event(prog, cpu=0, period=ap.period_ns)
    if k == "perf_event":
        return link.perf_event(prog, frequency=p.options.get("frequency", 99))
    if k in ("xdp", "tc"):
        iface = ap.iface or p.target
        if not iface:
            raise p._error(f"{ap.name!r} needs an interface (xdp/IFACE, tc/IFACE)")
        if k == "xdp":
            return link.xdp(prog, iface, mode=p.options.get("mode"))
        return link.tcx(prog, iface, p.options.get("direction", "ingress"))
    raise p._error(f"cannot attach {ap.name!r}")


def attach_probe(p: Probe, prog: Any) -> Any:
    """Attach the loaded program ``prog`` of probe ``p`` where its (first) attach point says."""
    return attach_point(p, p.attach_points[0], prog)


def load_module(path: str) -> types.ModuleType:
    """Import a probe file (``examples/opensnoop.py``) as a module."""
    import importlib.util

    name = "pybpf_probe_" + path.replace("/", "_").replace(".", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DslError(f"cannot import {path}", filename=path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def module_probes(mod: types.ModuleType) -> list[Probe]:
    """The probes of a module: its `Probe` values (``@probe`` functions) and its `on` lines."""
    found = {id(v): v for v in vars(mod).values() if isinstance(v, Probe)}
    for p in vars(mod).get("__pybpf_probes__", ()):
        found.setdefault(id(p), p)
    return list(found.values())


def program_maps(namespace: dict[str, Any]) -> list[AutoMap]:
    """The bpftrace-style maps of a program (its `Maps` namespaces' and module-level `AutoMap`s),
    sorted by how bpftrace prints them (by name)."""
    from .automap import AutoMap, Maps

    found: dict[int, AutoMap] = {}
    for v in namespace.values():
        if isinstance(v, AutoMap):
            found[id(v)] = v
        elif isinstance(v, Maps):
            for m in v:
                found[id(m)] = m
    return sorted(found.values(), key=lambda m: m.label or f"@{m.name}")


__all__ += ["compile_all", "program_maps", "state_of"]


def __getattr__(name: str) -> Any:
    """``state_of`` (pybpf.dsl.state), imported on first use."""
    if name == "state_of":
        from .state import state_of

        return state_of
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
