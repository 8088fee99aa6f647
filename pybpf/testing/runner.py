"""One program under test, run in the VM, in the kernel, or in both and compared.

`BpfProgram.load(source)` takes what a user writes: a DSL probe file (``"probe.py"``,
``program=`` picks one of its probes) or a `pybpf.dsl.Probe`, a clang object
(``"x.bpf.o"``, ``program=`` its function or section name), assembly text or a
`ProgramSpec` (``prog_type=`` then says what it is). `BpfProgram.run` runs it once on a
packet (XDP, tc, socket filters) or a context (tracing programs) and returns an `Outcome`:
the return value, the packet after the run, every map's contents and the ring-buffer
records the run produced.

``backend="vm"`` runs it in the VM (no root; deterministic helpers: a `FakeClock`,
seeded ``bpf_get_prandom_u32``, the calling process as the current task);
``"kernel"`` loads it once and runs it with ``BPF_PROG_TEST_RUN``; ``"both"`` runs both
from the same map contents and raises `BackendMismatch` on any difference in return
value, packet bytes, map contents or records. Program types the kernel cannot test-run
(tracepoints, perf events) run in the VM only, with the reason in `Outcome.note`. The
default backend is ``"vm"``, or what the pytest marker of the running test asks for
(`pybpf.testing.plugin`).

Maps keep their contents between runs, in both backends; `reset` empties them again
(global data back to its initial value), which the `bpf_program` fixture does for every
program it hands out.

>>> from pybpf.testing.frames import ethernet, ipv4, udp
>>> prog = BpfProgram.load("r0 = *(u32 *)(r1 + 4)\\nr1 = *(u32 *)(r1 + 0)\\nr0 -= r1\\nexit",
...                        prog_type="xdp")
>>> prog.run(packet=ethernet(ipv4(udp(b"x")))).retval
43
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BackendMismatch, KernelError, PybpfError
from ..isa import MapSpec, ProgramSpec

#: Map kinds whose contents are compared as records (what a reader drains), not elements.
EVENT_MAPS = ("ringbuf", "perf_event_array")
#: Map kinds that hold no comparable data.
OPAQUE_MAPS = ("prog_array", "array_of_maps", "hash_of_maps", "stack_trace", "cgroup_array",
               "devmap", "devmap_hash", "cpumap", "xskmap", "sockmap", "sockhash")
#: Program types whose skb starts after the Ethernet header in a test run: the first 14
#: bytes of their output are the kernel's zeroed re-pushed header, not program output.
L3_TYPES = ("socket_filter", "cgroup_skb")
_PERCPU = ("percpu_array", "percpu_hash", "lru_percpu_hash")
#: the kernel's internal "operation not supported" (what a test run of a tracepoint answers)
ENOTSUPP = 524
_MODE = {"backend": "vm"}
_NO_TEST_RUN: dict[str, str] = {}  # prog type -> why the kernel cannot test-run it (measured)


def default_backend() -> str:
    """``"vm"``, or what the running test's marker asks for (set by the pytest plugin)."""
    return _MODE["backend"]


def set_default_backend(backend: str) -> None:
    if backend not in ("vm", "kernel", "both"):
        raise PybpfError(f"backend must be 'vm', 'kernel' or 'both', not {backend!r}")
    _MODE["backend"] = backend


def kernel_unavailable() -> str | None:
    """Why bpf() cannot run programs here (not Linux, not root), or None."""
    if os.uname().sysname != "Linux":
        return "not Linux: no bpf() syscall"
    if os.geteuid() != 0 or not _has_bpf_capability():
        return "not root: BPF_PROG_LOAD and BPF_PROG_TEST_RUN need CAP_BPF/CAP_SYS_ADMIN"
    return None


def _has_bpf_capability() -> bool:
    """Whether the effective capabilities hold CAP_SYS_ADMIN (21) or CAP_BPF (39): a root
    process that dropped them cannot load programs either."""
    try:
        with open("/proc/self/status") as f:
            eff = next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
    except (OSError, StopIteration, ValueError):
        return True
    return bool(eff >> 21 & 1 or eff >> 39 & 1)


@dataclass
class Outcome:
    """What one run produced (``backend`` ``"vm"`` or ``"kernel"``).

    ``retval`` is r0 (the kernel reports its low 32 bits; the VM all 64), ``packet`` the
    packet after the run (None without one), ``maps`` every map's contents after the run
    as ``{name: {key: value}}`` bytes (per-CPU maps: the CPUs' non-zero values sorted),
    ``records`` the ring/perf buffer records this run produced, by map. ``note`` says why
    a backend did not run (``"kernel: tracepoint programs cannot be test-run"``).
    """

    backend: str
    retval: int
    packet: bytes | None = None
    maps: dict[str, dict[bytes, Any]] = field(default_factory=dict)
    records: dict[str, list[bytes]] = field(default_factory=dict)
    insns: int | None = None
    output: list[str] = field(default_factory=list)
    note: str | None = None
    kernel: Outcome | None = None

    @property
    def r0(self) -> int:
        return self.retval


class MapView(Mapping[Any, Any]):
    """A map of the program as a read-only dict, decoded with the DSL's key and value
    types when the program is a DSL probe (raw bytes otherwise)."""

    def __init__(self, contents: dict[bytes, Any], key_type: Any = None, value_type: Any = None):
        self._raw = contents
        self._kt, self._vt = key_type, value_type

    def _dk(self, raw: bytes) -> Any:
        return self._kt.decode(raw) if self._kt is not None else raw

    def _dv(self, raw: Any) -> Any:
        return self._vt.decode(raw) if self._vt is not None and isinstance(raw, bytes) else raw

    def __getitem__(self, key: Any) -> Any:
        raw = self._kt.encode(key) if self._kt is not None and not isinstance(key, bytes) else key
        return self._dv(self._raw[raw])

    def __iter__(self) -> Iterator[Any]:
        return (self._dk(k) for k in self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"MapView({dict(self.items())!r})"


def _percpu_values(raw: bytes, value_size: int) -> tuple[bytes, ...]:
    stride = (value_size + 7) // 8 * 8
    vals = [raw[i:i + value_size] for i in range(0, len(raw), stride)]
    return tuple(sorted(v for v in vals if any(v)))


class BpfProgram:
    """A program under test (see the module docstring)."""

    def __init__(self, spec: ProgramSpec, *, prog_type: str, name: str = "",
                 decls: Mapping[str, MapSpec] | None = None, types: Mapping[str, Any] | None = None,
                 object_path: str | None = None, program_name: str | None = None,
                 vm_options: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.prog_type = prog_type
        self.name = name or spec.name or "prog"
        self.decls = dict(decls if decls is not None else spec.maps)
        self.types = dict(types or {})
        self.object_path = object_path
        self.program_name = program_name
        self.vm_options = dict(vm_options or {})
        #: the Python module of a DSL probe file (its Struct classes decode records)
        self.module: Any = None
        #: event Struct of each ring/perf buffer of a DSL probe, by map name
        self.events: dict[str, Any] = {}
        #: the programs loaded together with this one (one object, one probe file): they
        #: share their maps, in the VM and in the kernel
        self.group: ProgramGroup = ProgramGroup([self])
        self._coverage: Any = None

    @property
    def coverage(self) -> Any:
        """The `pybpf.coverage.Coverage` the VM runs of this program record into, or None.
        Setting one counts the program's lines at once, so a program no test runs shows
        0% rather than no lines at all (coverage.py reports an unrun function the same way)."""
        return self._coverage

    @coverage.setter
    def coverage(self, cov: Any) -> None:
        self._coverage = cov
        if cov is not None:
            cov.add_program(self.spec)

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def load(cls, source: Any, *, program: str | None = None, prog_type: str | None = None,
             **vm_options: Any) -> BpfProgram:
        """A program from a DSL probe file or `Probe`, a ``.o`` file, assembly text or a
        `ProgramSpec` (see the module docstring); ``vm_options`` go to the VM (``task=``,
        ``helpers=``, ``image=``, ``clock=``, ``seed=``)."""
        from ..dsl import Probe

        if isinstance(source, Probe):
            return cls._from_probe(source, vm_options)
        if isinstance(source, ProgramSpec):
            return cls._from_spec(source, prog_type, vm_options)
        text = str(source)
        is_path = isinstance(source, Path) or ("\n" not in text and len(text) < 4096)
        path = Path(text)
        if is_path and path.suffix == ".py":
            return cls._from_probe_file(path, program, vm_options)
        if is_path and path.suffix == ".o":
            return cls._from_object(path, program, vm_options)
        filename = None
        if is_path and path.is_file():
            text, filename = path.read_text(), str(path)
        from ..asm import assemble

        syntax = "gas" if "%r" in text else "llvm"
        return cls._from_spec(assemble(text, syntax, filename=filename), prog_type, vm_options)

    @classmethod
    def load_all(cls, source: str | Path, **vm_options: Any) -> dict[str, BpfProgram]:
        """Every program of a probe file or an object, by name, sharing their maps (an
        entry probe and an exit probe that meet in a hash map)."""
        path = Path(source)
        if path.suffix == ".py":
            from ..dsl import load_module, module_probes

            module = load_module(str(path))
            progs = [cls._from_probe(p, vm_options) for p in module_probes(module)]
            for prog in progs:
                prog.module = module
        elif path.suffix == ".o":
            from ..elf.vmobject import VMObject

            vmobj = VMObject(str(path), **cls._vm_defaults(vm_options))
            progs = [cls._from_vmobject(vmobj, name, path, vm_options) for name in vmobj.spec.programs]
        else:
            raise PybpfError(f"{path}: load_all takes a probe file (.py) or an object (.o)")
        if not progs:
            raise PybpfError(f"{path}: no programs")
        ProgramGroup(progs)
        return {p.name: p for p in progs}

    @classmethod
    def _from_spec(cls, spec: ProgramSpec, prog_type: str | None, vm_options: dict) -> BpfProgram:
        ptype = prog_type or spec.prog_type
        if ptype is None:
            raise PybpfError("a program from assembly needs prog_type= (xdp, sched_cls, "
                             "socket_filter, tracepoint, raw_tracepoint...)")
        return cls(spec, prog_type=ptype, vm_options=vm_options)

    @classmethod
    def _from_probe_file(cls, path: Path, program: str | None, vm_options: dict) -> BpfProgram:
        from ..dsl import load_module, module_probes

        module = load_module(str(path))
        probes = module_probes(module)
        if not probes:
            raise PybpfError(f"{path}: no @probe functions")
        if program is not None:
            chosen = [p for p in probes if p.name == program]
            if not chosen:
                raise PybpfError(f"{path}: no probe {program!r} (probes: "
                                 f"{', '.join(p.name for p in probes)})")
        elif len(probes) > 1:
            raise PybpfError(f"{path}: {len(probes)} probes ({', '.join(p.name for p in probes)}): "
                             "pass program=, or use BpfProgram.load_all")
        else:
            chosen = probes
        prog = cls._from_probe(chosen[0], vm_options)
        prog.module = module
        return prog

    @classmethod
    def _from_probe(cls, probe: Any, vm_options: dict) -> BpfProgram:
        _ap, spec, used = probe.programs()[0]
        types = {name: (m.key, m.value) for name, m in used.items()}
        self = cls(spec, prog_type=spec.prog_type or "", name=probe.name, types=types,
                   vm_options=vm_options)
        self.events = {name: m.event for name, m in used.items() if getattr(m, "event", None)}
        return self

    @classmethod
    def _from_object(cls, path: Path, program: str | None, vm_options: dict) -> BpfProgram:
        from ..elf.vmobject import VMObject

        vmobj = VMObject(str(path), **cls._vm_defaults(vm_options))
        spec = vmobj.program(program)
        name = next(n for n, p in vmobj.programs.items() if p is spec)
        return cls._from_vmobject(vmobj, name, path, vm_options)

    @classmethod
    def _from_vmobject(cls, vmobj: Any, name: str, path: Path, vm_options: dict) -> BpfProgram:
        spec = vmobj.program(name)
        decls = vmobj._decls()
        self = cls(spec, prog_type=vmobj.spec.programs[name].spec.prog_type, name=name,
                   decls=decls, object_path=str(path), program_name=name, vm_options=vm_options)
        self.group.vm, self.group.vmobj = vmobj.vm, vmobj
        return self

    @staticmethod
    def _vm_defaults(options: Mapping[str, Any]) -> dict[str, Any]:
        from ..vm import FakeClock, Task

        out: dict[str, Any] = {"task": Task.current(), "seed": 0, "clock": FakeClock()}
        out.update(options)
        clock = out.pop("clock")
        helpers: dict[Any, Any] = dict(out.pop("helpers", None) or {})
        helpers.setdefault("ktime_get_ns", clock)
        out["helpers"] = helpers
        return out

    # -- the VM ------------------------------------------------------------------------------
    @property
    def vm(self) -> Any:
        """The `pybpf.vm.VM` the program (and its group) runs in, created on first use."""
        g = self.group
        if g.vm is None:
            from ..vm import VM

            g.vm = VM(**self._vm_defaults(self.vm_options))
        return g.vm

    def _vm_maps(self) -> dict[str, Any]:
        from ..vm.maps import vm_map

        if self.group.vmobj is not None:
            return self.group.vmobj.load().maps
        m = self.vm.machine
        for prog in self.group.members:
            for name, decl in prog.decls.items():
                if name not in m.maps:
                    m.maps[name] = vm_map(decl, name, ncpus=m.ncpus)
        return m.maps

    def reset(self) -> BpfProgram:
        """Empty every map of the group in both backends (global data back to its initial
        value)."""
        self.group.reset()
        return self

    # -- running ------------------------------------------------------------------------------
    def run(self, *, packet: bytes | None = None, ctx: bytes | None = None,
            backend: str | None = None, repeat: int = 1) -> Outcome:
        """Run once (see the module docstring); the VM's `Outcome`, with the kernel's in
        ``.kernel`` for ``backend="both"``, or the kernel's for ``"kernel"``."""
        backend = backend or default_backend()
        if backend == "vm":
            return self.run_vm(packet=packet, ctx=ctx)
        if backend == "kernel":
            return self.run_kernel(packet=packet, ctx=ctx)
        why = self.kernel_cannot_run()
        if why is not None:
            out = self.run_vm(packet=packet, ctx=ctx)
            out.note = f"kernel: {why}"
            return out
        kout = self.run_kernel(packet=packet, ctx=ctx)
        if kout.note is not None:  # the kernel refused this program type: VM alone
            out = self.run_vm(packet=packet, ctx=ctx)
            out.note = kout.note
            return out
        vout = self.run_vm(packet=packet, ctx=ctx)
        vout.kernel = kout
        diffs = compare(vout, kout, l3=self.prog_type in L3_TYPES)
        if diffs:
            shown = repr(packet if packet is not None else ctx)
            raise BackendMismatch(f"{self.name} ({self.prog_type})", diffs,
                                  input=shown if len(shown) < 400 else shown[:400] + "...")
        return vout

    def run_vm(self, *, packet: bytes | None = None, ctx: bytes | None = None) -> Outcome:
        """Run once in the VM."""
        vm = self.vm
        m = vm.machine
        image = getattr(ctx, "image", None)
        if image is not None and image.chunks:
            m.image.merge(image)
        maps = self._vm_maps()
        if self.coverage is not None:
            m.cover = self.coverage
        kw: dict[str, Any] = {}
        if packet is not None:
            kw["packet"] = bytes(packet)
            if self.prog_type in ("xdp", "sched_cls", "sched_act", "socket_filter"):
                kw["prog_type"] = self.prog_type
        if ctx is not None:
            kw["ctx"] = bytes(ctx)
            kw.pop("prog_type", None)
        if packet is None and ctx is None:
            kw["ctx"] = bytes(default_ctx_size(self.prog_type))
        res = vm.run(self.spec, **kw)
        records: dict[str, list[bytes]] = {}
        snap: dict[str, dict[bytes, Any]] = {}
        for name, vmap in maps.items():
            if vmap.kind in EVENT_MAPS:
                records[name] = vmap.consume()
            elif vmap.kind not in OPAQUE_MAPS and not getattr(vmap, "opaque", False):
                snap[name] = _vm_snapshot(vmap)
        return Outcome("vm", res.r0, res.packet, snap, records, res.insns, list(res.output))

    def kernel_cannot_run(self) -> str | None:
        """Why this program cannot run in the kernel here, or None."""
        why = kernel_unavailable()
        if why is not None:
            return why
        return _NO_TEST_RUN.get(self.prog_type)

    def run_kernel(self, *, packet: bytes | None = None, ctx: bytes | None = None) -> Outcome:
        """Run once in the kernel with ``BPF_PROG_TEST_RUN`` (loading it on first use)."""
        why = kernel_unavailable()
        if why is not None:
            raise PybpfError(f"cannot run {self.name} in the kernel: {why}")
        if self.prog_type in _NO_TEST_RUN:
            return Outcome("kernel", 0, note=f"kernel: {_NO_TEST_RUN[self.prog_type]}")
        g = self.group
        if g.kernel is None:
            g.kernel = KernelGroup(g)
        try:
            return g.kernel.run(self, packet, ctx)
        except KernelError as exc:
            if exc.errno in (ENOTSUPP, errno.EOPNOTSUPP):
                _NO_TEST_RUN[self.prog_type] = (f"{self.prog_type} programs cannot be test-run "
                                                f"(BPF_PROG_TEST_RUN answers errno {exc.errno})")
                return Outcome("kernel", 0, note=f"kernel: {_NO_TEST_RUN[self.prog_type]}")
            raise

    def view(self, outcome: Outcome, name: str) -> MapView:
        """Map ``name`` as it was after the run of ``outcome`` (either backend), decoded
        with the DSL's types for DSL probes."""
        kt, vt = self.types.get(name, (None, None))
        contents = outcome.maps.get(name)
        if contents is None:
            raise PybpfError(f"{self.name}: no map {name!r} in the outcome (maps: "
                             f"{', '.join(outcome.maps) or 'none'})")
        percpu = any(isinstance(v, tuple) for v in contents.values())
        return MapView(contents, kt, None if percpu else vt)

    def decode(self, name: str, record: bytes) -> Any:
        """A ring/perf buffer record of map ``name`` decoded to its DSL event Struct."""
        for prog in self.group.members:
            ev = prog.events.get(name)
            if ev is not None:
                return ev.decode(record)
        raise PybpfError(f"{self.name}: map {name!r} carries no DSL event type")

    @property
    def maps(self) -> dict[str, MapView]:
        """The VM's maps now, by name, as dicts (decoded for DSL probes)."""
        out = {}
        for name, vmap in self._vm_maps().items():
            if vmap.kind in EVENT_MAPS or vmap.kind in OPAQUE_MAPS:
                continue
            kt, vt = self.types.get(name, (None, None))
            out[name] = MapView(_vm_snapshot(vmap), kt, None if vmap.kind in _PERCPU else vt)
        return out

    def close(self) -> None:
        """Unload the kernel side of the group (programs, maps); the VM needs nothing closed."""
        self.group.close()

    def __enter__(self) -> BpfProgram:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<BpfProgram {self.name} ({self.prog_type})>"


def _vm_snapshot(vmap: Any) -> dict[bytes, Any]:
    if vmap.kind in _PERCPU:
        per = getattr(vmap, "per_cpu", None)
        if isinstance(per, dict):
            return {k: tuple(sorted(bytes(v) for v in vals if any(v))) for k, vals in per.items()}
        if isinstance(per, list):
            return {i.to_bytes(vmap.key_size, "little"):
                    tuple(sorted(bytes(cpu[i]) for cpu in per if any(cpu[i])))
                    for i in range(vmap.max_entries)}
    return vmap.snapshot()


def default_ctx_size(prog_type: str) -> int:
    """Bytes of a zeroed context when a run gets none: ``pt_regs`` for kprobes, the
    perf event data, 12 raw tracepoint arguments, else 512."""
    return {"kprobe": 168, "perf_event": 184, "raw_tracepoint": 96}.get(prog_type, 512)


def compare(vm: Outcome, kernel: Outcome, *, l3: bool = False) -> list[str]:
    """Every difference between a VM and a kernel outcome, as lines (empty: they agree).
    Return values compare in 32 bits (what a test run reports); for socket filters
    (``l3``) the packet compares from the network header on."""
    diffs = []
    if vm.retval & 0xFFFFFFFF != kernel.retval & 0xFFFFFFFF:
        diffs.append(f"retval: VM {vm.retval & 0xFFFFFFFF:#x}, kernel {kernel.retval & 0xFFFFFFFF:#x}")
    if vm.packet is not None and kernel.packet is not None:
        a, b = (vm.packet[14:], kernel.packet[14:]) if l3 else (vm.packet, kernel.packet)
        if a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            diffs.append(f"packet: VM {len(a)} bytes, kernel {len(b)} bytes, first difference "
                         f"at byte {at + (14 if l3 else 0)}")
    for name in sorted(set(vm.maps) | set(kernel.maps)):
        va, ka = vm.maps.get(name, {}), kernel.maps.get(name, {})
        for key in sorted(set(va) | set(ka)):
            if va.get(key) != ka.get(key):
                diffs.append(f"map {name}[{key.hex()}]: VM {_show(va.get(key))}, "
                             f"kernel {_show(ka.get(key))}")
    for name in sorted(set(vm.records) | set(kernel.records)):
        vr, kr = vm.records.get(name, []), kernel.records.get(name, [])
        if vr != kr:
            diffs.append(f"records of {name}: VM {len(vr)} {[r.hex() for r in vr][:3]}, "
                         f"kernel {len(kr)} {[r.hex() for r in kr][:3]}")
    return diffs


def _show(v: Any) -> str:
    if v is None:
        return "(absent)"
    if isinstance(v, tuple):
        return "[" + ", ".join(x.hex() for x in v) + "]"
    return v.hex() if isinstance(v, bytes) else repr(v)


def _collector(sink: list[bytes]) -> Any:
    def collect(raw: Any) -> None:
        sink.append(bytes(raw))
    return collect


class ProgramGroup:
    """Programs loaded together (one object, one probe file): one VM, one set of kernel maps."""

    def __init__(self, members: list[BpfProgram]) -> None:
        self.members = list(members)
        self.vm: Any = next((m.group.vm for m in members if hasattr(m, "group") and m.group.vm),
                            None)
        self.vmobj: Any = next((m.group.vmobj for m in members if hasattr(m, "group")
                                and m.group.vmobj), None)
        self.kernel: KernelGroup | None = None
        for m in members:
            m.group = self

    def reset(self) -> None:
        if self.vm is not None:
            from ..vm.image import MemoryImage

            self.vm.machine.maps.clear()
            self.vm.machine.image = MemoryImage()
            self.vm.machine._task_addr = None
            if self.vmobj is not None and self.vmobj.loaded:
                self.vmobj.reset_maps()
        if self.kernel is not None:
            self.kernel.reset()

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.close()
            self.kernel = None


class KernelGroup:
    """The kernel side of a `ProgramGroup`: maps created from the programs' declarations
    (or the object's own), each program loaded once, test runs, snapshots, resets."""

    def __init__(self, group: ProgramGroup) -> None:
        self.group = group
        self.maps: dict[str, Any] = {}
        self.progs: dict[str, Any] = {}
        self.readers: dict[str, Any] = {}
        self.pending: dict[str, list[bytes]] = {}
        self.decls: dict[str, MapSpec] = {}
        for m in group.members:
            self.decls.update(m.decls)
        self._obj: Any = None
        self._own: list[Any] = []
        self._pin_dir: str | None = None
        try:
            first = group.members[0]
            if first.object_path is not None:
                self._load_object(first)
            else:
                self._load_specs()
            self._add_readers()
        except BaseException:
            self.close()
            raise

    def _load_specs(self) -> None:
        from ..kernel import Map, load

        for name, decl in self.decls.items():
            m = Map.create(decl)
            self._own.append(m)
            self.maps[name] = m
        for prog in self.group.members:
            p = load(prog.spec, prog.prog_type, maps=self.maps)
            self._own.append(p)
            self.progs[prog.name] = p

    def _load_object(self, first: BpfProgram) -> None:
        from ..elf.loader import BpfObject

        obj = BpfObject.open(str(first.object_path))
        vmobj = self.group.vmobj
        if vmobj is not None:  # .rodata set on the VM side before the first run
            for name, decl in vmobj.spec.maps.items():
                if name in obj.spec.maps and decl.initial is not None:
                    obj.spec.maps[name].initial = decl.initial
        if any(d.pinning for d in obj.spec.maps.values()):
            # maps pinned by name go under a directory of our own, removed on close, so a
            # test never meets (nor leaves) a pin of another run
            from ..kernel.fs import ensure_bpffs

            self._pin_dir = os.path.join(ensure_bpffs(), f"pybpf-testing-{os.getpid()}-{id(self)}")
            os.makedirs(self._pin_dir, exist_ok=True)
        obj.load(pin_root=self._pin_dir)
        self._obj = obj
        self.maps = dict(obj.maps)
        self.progs = {name: lp.prog for name, lp in obj.programs.items()}

    def _add_readers(self) -> None:
        from ..kernel import RingBufReader

        for name, m in self.maps.items():
            if m.type == "ringbuf":
                sink: list[bytes] = []
                self.pending[name] = sink
                self.readers[name] = RingBufReader(m, _collector(sink), as_bytes=True)

    def run(self, prog: BpfProgram, packet: bytes | None, ctx: bytes | None) -> Outcome:
        kprog = self.progs[prog.program_name or prog.name]
        if packet is not None:
            tr = kprog.test_run(bytes(packet), ctx=bytes(ctx) if ctx is not None else None)
        elif prog.prog_type == "raw_tracepoint":  # args only: no data, no ctx out, no repeat
            cbytes = bytes(ctx) if ctx is not None else bytes(default_ctx_size(prog.prog_type))
            tr = kprog.test_run(b"", ctx=cbytes, repeat=0, ctx_size_out=0, data_size_out=0)
        else:
            cbytes = bytes(ctx) if ctx is not None else bytes(default_ctx_size(prog.prog_type))
            tr = kprog.test_run(b"", ctx=cbytes)
        records = {}
        for name, rb in self.readers.items():
            rb.poll(0)
            records[name] = list(self.pending[name])
            self.pending[name].clear()
        snap = {name: self._snapshot(m) for name, m in self.maps.items()
                if m.type not in EVENT_MAPS and m.type not in OPAQUE_MAPS}
        out_packet = tr.data_out if packet is not None else None
        return Outcome("kernel", tr.retval, out_packet, snap, records)

    @staticmethod
    def _snapshot(m: Any) -> dict[bytes, Any]:
        out: dict[bytes, Any] = {}
        percpu = m.type in _PERCPU
        for k in list(m.keys_raw()):
            v = m.lookup_raw(k)
            if v is None:
                continue
            out[k] = _percpu_values(v, m.value_size) if percpu else bytes(v)
        return out

    def reset(self) -> None:
        """Every map back to empty (arrays zeroed, global data to its initial value)."""
        for name, m in self.maps.items():
            if m.type in EVENT_MAPS:
                rb = self.readers.get(name)
                if rb is not None:
                    rb.poll(0)
                    self.pending[name].clear()
                continue
            if m.type in OPAQUE_MAPS:
                continue
            decl = self.decls.get(name)
            if "array" in m.type:
                if decl is not None and decl.frozen:
                    continue
                init = bytes(decl.initial or b"") if decl is not None else b""
                for i in range(m.max_entries):
                    value = (init if i == 0 else b"").ljust(m.value_size, b"\0")
                    if m.type in _PERCPU:
                        m.update(i, [value] * m._ncpu)
                    else:
                        m.update(i.to_bytes(4, "little"), value)
            else:
                m.clear()

    def close(self) -> None:
        for rb in self.readers.values():
            rb.close()
        self.readers.clear()
        if self._obj is not None:
            self._obj.close()
            self._obj = None
        for obj in reversed(self._own):
            obj.close()
        self._own.clear()
        if self._pin_dir is not None:
            for name in os.listdir(self._pin_dir):
                os.unlink(os.path.join(self._pin_dir, name))
            os.rmdir(self._pin_dir)
            self._pin_dir = None
