"""`BpfObject`: a clang object loaded into the kernel the way libbpf does, skeleton-style.

>>> obj = BpfObject.open("trace_open.bpf.o")        # doctest: +SKIP
>>> obj.rodata["target_pid"] = os.getpid()           # doctest: +SKIP
>>> obj.load()                                       # doctest: +SKIP
>>> links = obj.attach()                             # doctest: +SKIP
>>> link = obj.programs["handle_openat"].attach()    # doctest: +SKIP
>>> obj.maps["events"]                               # doctest: +SKIP
>>> obj.bss["hits"]                                  # doctest: +SKIP
>>> obj.close()                                      # doctest: +SKIP

(.rodata constants are set before load; the attach target comes from the
``SEC("tp/...")`` name; .bss/.data values are live after load; ``close`` detaches
links and closes programs and maps.)

Order of work in `load`: CO-RE relocations against the running kernel's BTF,
externs (``.kconfig`` values, ``.ksyms`` and kfunc BTF ids), maps (pinned by
name under bpffs when asked, inner-map templates, global data with initial
values, ``.rodata`` frozen), programs (func/line info so the verifier log shows
C source lines), then initial map-in-map and prog-array slots.
"""

from __future__ import annotations

import os

from .._deprecated import module_getattr
from ..errors import BtfError, ElfError, KernelError, PybpfError
from ..isa import MapSpec, ProgramSpec, Ref, RefKind
from .object import MutableRecord, ObjectProgramSpec, ObjectSpec, open_object

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .globalvars import GlobalVars


def _copy_map(spec: MapSpec) -> MapSpec:
    """A copy of ``spec`` sharing nothing mutable with it (its inner map copied too)."""
    inner = spec.inner
    return spec.replace(inner=_copy_map(inner) if isinstance(inner, MapSpec) else inner,
                        extra={k: _copy_value(v) for k, v in spec.extra.items()})


def _copy_value(value: Any) -> Any:
    if isinstance(value, (list, dict, set, bytearray)):
        import copy  # (only a map declaration with such extras: the loader's start-up)

        return copy.deepcopy(value)
    return value


def _copy_program(prog: ProgramSpec) -> ProgramSpec:
    """What ``copy.deepcopy(prog)`` makes (importing `copy` costs the object counter of
    benchmarks/startup.py ~4% of its instructions): its own instruction list, labels,
    references, maps (each `MapSpec` copied) and lines; the instructions, references and
    source lines themselves are immutable and shared."""
    return ProgramSpec(list(prog.insns), dict(prog.labels), dict(prog.refs),
                       {name: _copy_map(spec) for name, spec in prog.maps.items()},
                       dict(prog.lines), prog.name, prog.prog_type, prog.license, prog.section)

class ObjectProgram(MutableRecord):
    """A program of a loaded object: its spec, its kernel `Program`, and its links."""

    __match_args__ = ("spec", "prog", "links", "core_failures")
    spec: ObjectProgramSpec
    prog: Any  # pybpf.kernel.prog.Program
    links: list[Any]
    #: CO-RE relocations with no kernel match: (insn index, reason)
    core_failures: list[tuple[int, str]]

    def __init__(self, spec: ObjectProgramSpec, prog: Any, links: list[Any] | None = None,
                 core_failures: list[tuple[int, str]] | None = None) -> None:
        self.spec = spec
        self.prog = prog
        self.links = [] if links is None else links
        self.core_failures = [] if core_failures is None else core_failures

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def fd(self) -> int:
        return self.prog.fd

    def attach(self, target: str | None = None, **kwargs: Any) -> Any:
        """Attach as the section name says; returns the `Link` (kept until the object closes).

        ``target`` overrides the section's target (tracepoint ``cat:name``, raw
        tracepoint name, ``path:symbol`` for uprobes). Kinds that need more (an
        interface for xdp/tcx, a cgroup path, a socket) take it as keyword
        arguments (``iface=``, ``path=``, ``sock=``).
        """
        from ..kernel import link as L

        s = self.spec.spec
        kind = s.attach
        if kind is None:
            raise PybpfError(f"program {self.name!r} (SEC(\"{s.section}\")) has no automatic "
                             "attach point; attach it with pybpf.kernel.link")
        tgt = target if target is not None else s.target
        if kind in ("tracepoint",):
            if not tgt:
                raise PybpfError(f"program {self.name!r}: SEC(\"{s.section}\") names no "
                                 "tracepoint; pass target='category:name'")
            lk = L.tracepoint(self.prog, tgt.replace("/", ":", 1), **kwargs)
        elif kind == "raw_tracepoint":
            if not tgt:
                raise PybpfError(f"program {self.name!r}: pass target='<raw tracepoint>'")
            lk = L.raw_tracepoint(self.prog, tgt, **kwargs)
        elif kind in ("uprobe", "uretprobe"):
            if not tgt or ":" not in tgt:
                raise PybpfError(f"program {self.name!r}: uprobe target must be 'path:symbol', "
                                 f"got {tgt!r}")
            path, sym = tgt.rsplit(":", 1)
            lk = (L.uprobe if kind == "uprobe" else L.uretprobe)(self.prog, path, sym, **kwargs)
        elif kind == "xdp":
            lk = L.xdp(self.prog, kwargs.pop("iface"), **kwargs)
        elif kind == "tcx":
            direction = "egress" if (s.expected_attach_type or "").endswith("egress") else "ingress"
            lk = L.tcx(self.prog, kwargs.pop("iface"), direction, **kwargs)
        elif kind == "cgroup":
            hook = s.expected_attach_type or ""
            lk = L.cgroup(self.prog, kwargs.pop("path"), hook, **kwargs)
        elif kind == "socket_filter":
            lk = L.socket_filter(self.prog, kwargs.pop("sock"))
        elif kind in ("tracing", "lsm", "iter"):
            sub = s.section.lstrip("?").split("/", 1)[0].removesuffix(".s")
            fn = {"iter": L.iterator}.get(sub) or L.ATTACH[sub]
            lk = fn(self.prog, **kwargs)
        elif kind in L.ATTACH:
            lk = L.ATTACH[kind](self.prog, **kwargs)
        else:
            raise PybpfError(f"program {self.name!r}: attach kind {kind!r} is not supported "
                             "by this kernel or by pybpf yet")
        self.links.append(lk)
        return lk


def _auto_attaches(lp: ObjectProgram) -> bool:
    """Whether ``lp`` attaches from its section name alone (no interface, cgroup, socket)."""
    s = lp.spec.spec
    if s.attach in (None, "xdp", "tcx", "cgroup", "socket_filter", "sk_lookup", "flow_dissector",
                    "netfilter"):
        return False
    if s.attach in ("tracepoint", "raw_tracepoint"):
        return bool(s.target)
    if s.attach in ("uprobe", "uretprobe"):
        return s.target is not None and ":" in s.target
    return True


class BpfObject:
    """A BPF object: open (parse) with `open`, then `load`, then attach programs."""

    def __init__(self, spec: ObjectSpec) -> None:
        self.spec = spec
        self.maps: dict[str, Any] = {}
        self.programs: dict[str, ObjectProgram] = {}
        self.loaded = False
        self._inner_templates: list[Any] = []
        self._btf_obj: Any = None
        self._globals: dict[str, GlobalVars] = {}
        self._kconfig_offsets: dict[str, int] = {}
        self._kbtf: Any = None
        self._maps_created = False

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str) -> BpfObject:
        """Parse ``path`` (no kernel work); see `load`."""
        spec, parsed = open_object(path)
        obj = cls(spec)
        obj._btf_obj = parsed  # (the BTF the parse read: not parsed again)
        return obj

    def globals(self, section: str) -> GlobalVars:
        """The variables of a global-data section (``.rodata``, ``.data``, ``.bss``, ...)."""
        if section not in self._globals:
            if section not in self.spec.maps:
                raise KeyError(f"{self.spec.path}: no section {section} (global data sections: "
                               f"{', '.join(n for n in self.spec.maps if n.startswith('.'))})")
            from .globalvars import GlobalVars

            self._globals[section] = GlobalVars(self, section, self._layout(section))
        return self._globals[section]

    @property
    def rodata(self) -> GlobalVars:
        return self.globals(".rodata")

    @property
    def data(self) -> GlobalVars:
        return self.globals(".data")

    @property
    def bss(self) -> GlobalVars:
        return self.globals(".bss")

    def _layout(self, section: str) -> dict[str, tuple[int, int, bool]]:
        if self.spec.btf is None:
            return {}
        from ..btf import Btf
        from ..btf import types as T

        btf = Btf(self.spec.btf, name=f"{self.spec.path}:.BTF")
        try:
            sec = btf[btf.find(section, "datasec")]
        except BtfError:
            return {}
        out = {}
        assert isinstance(sec, T.Datasec)
        # clang may leave DATASEC offsets at 0 for the loader: the ELF symbols are the truth
        symbols = self.spec.section_symbols.get(section, {})
        for vs in sec.vars:
            var = btf[vs.type]
            assert isinstance(var, T.Var)
            rec = btf[btf.resolve(var.type)]
            signed = isinstance(rec, T.Int) and rec.signed
            out[var.name] = (symbols.get(var.name, vs.offset), vs.size, signed)
        return out

    # -- loading --------------------------------------------------------------------------
    def load(self, *, log_level: int = 0, pin_root: str | None = None) -> BpfObject:
        """Create the maps and load every program into the kernel.

        On failure everything created so far is closed again and the error (a
        `ProgLoadError` with the verifier log, a `KernelError`, an `ElfError`...)
        propagates.
        """
        if self.loaded:
            raise PybpfError("object is already loaded")
        try:
            if not self._maps_created:
                self._create_maps(pin_root)
            programs = {name: self._prepare(ps) for name, ps in self.spec.programs.items()
                        if ps.spec.autoload and name not in self.programs}
            for name, (ps, prog, kw, failures) in programs.items():
                loaded = self._load_one(ps, prog, kw, log_level, failures)
                self.programs[name] = ObjectProgram(ps, loaded, core_failures=failures)
            self._init_slots()
        except BaseException:
            self.close()
            raise
        self.loaded = True
        return self

    # -- attaching -----------------------------------------------------------------------------
    def attach(self, *names: str) -> dict[str, Any]:
        """Attach programs as their ``SEC()`` names say, like a libbpf skeleton's attach:
        every program that has an automatic attach point (a tracepoint, a raw tracepoint, a
        uprobe with its target, perf events...), or only ``names``. Programs that need more
        (an interface, a cgroup) are left for `LoadedProgram.attach` unless named. Returns
        the links by program name (kept until `close`)."""
        if not self.loaded:
            raise PybpfError("attach() needs a loaded object: call load() first")
        wanted = list(names) or [n for n, lp in self.programs.items() if _auto_attaches(lp)]
        links: dict[str, Any] = {}
        for name in wanted:
            lp = self.programs.get(name)
            if lp is None:
                raise PybpfError(f"no program {name!r} in {self.spec.path} (programs: "
                                 f"{', '.join(self.programs)})")
            links[name] = lp.attach()
        return links

    def load_program(self, name: str, *, log_level: int = 0,
                     pin_root: str | None = None) -> ObjectProgram:
        """Load one program on its own (the object's maps are created on first use).

        This is how a ``?`` program (``SEC("?tc")``, not loaded by `load`) is loaded, and
        how each program of an object gets its own verdict: a `ProgLoadError` here leaves
        the maps and the programs loaded so far in place (`close` releases them).

        >>> obj = BpfObject.open("x.bpf.o")                  # doctest: +SKIP
        >>> obj.load_program("handler", log_level=1).fd      # doctest: +SKIP
        7
        """
        if name not in self.spec.programs:
            raise KeyError(f"{self.spec.path}: no program {name!r} (programs: "
                           f"{', '.join(self.spec.programs)})")
        if name in self.programs:
            raise PybpfError(f"program {name!r} is already loaded")
        if not self._maps_created:
            self._create_maps(pin_root)
        ps, prog, kw, failures = self._prepare(self.spec.programs[name])
        loaded = self._load_one(ps, prog, kw, log_level, failures)
        lp = self.programs[name] = ObjectProgram(ps, loaded, core_failures=failures)
        return lp

    def _kconfig_decl(self) -> MapSpec | None:
        """The ``.kconfig`` map of the object's kconfig externs (values of this kernel)."""
        names = [n for n, sec in self.spec.externs.items() if sec == ".kconfig"]
        if not names:
            return None
        local, _ext = self._local_btf()
        if local is None:
            raise ElfError("kconfig externs need the object's BTF (compile with -g)",
                           path=self.spec.path, section=".kconfig")
        from .kconfig import kconfig_layout
        from .object import BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, global_map_name

        offsets, data = kconfig_layout(local, self.spec.weak_externs)
        self._kconfig_offsets = offsets
        return MapSpec(".kconfig", "array", 4, max(len(data), 1), 1,
                       BPF_F_MMAPABLE | BPF_F_RDONLY_PROG, initial=data or b"\0", frozen=True,
                       extra={"kernel_name": global_map_name(self.spec.name, ".kconfig")})

    def _create_maps(self, pin_root: str | None) -> None:
        from ..kernel.maps import Map

        self._maps_created = True
        decls = dict(self.spec.maps)
        kconfig = self._kconfig_decl()
        if kconfig is not None:
            decls[".kconfig"] = kconfig
        kbtf = self._kernel_btf()
        btf_fd = kbtf.fd() if kbtf is not None else 0
        for name, decl in decls.items():
            decl = self._with_btf_types(decl, kbtf)
            inner = None
            if isinstance(decl.inner, MapSpec):  # an anonymous template of the inner maps
                inner = Map.create(decl.inner.replace(name=decl.inner.name[:15]))
                self._inner_templates.append(inner)
            kname = str(decl.extra.get("kernel_name", name))
            if decl.pinning:
                from ..kernel.fs import ensure_bpffs

                root = pin_root or ensure_bpffs()
                path = os.path.join(root, name)
                if os.path.exists(path):
                    m = Map.from_pinned(path)
                    info = m.info()
                    if (info.key_size, info.value_size, info.max_entries) != (
                            decl.key_size, decl.value_size, decl.max_entries):
                        m.close()
                        raise ElfError(f"map {name!r} is pinned at {path} with a different "
                                       f"definition (key {info.key_size}, value {info.value_size}, "
                                       f"max_entries {info.max_entries}); unpin it or rename",
                                       path=self.spec.path, section=".maps")
                    self.maps[name] = m
                    continue
                m = self._create_one(decl, inner, kname, btf_fd)
                m.pin(path)
            else:
                m = self._create_one(decl, inner, kname, btf_fd)
            self.maps[name] = m

    @staticmethod
    def _create_one(decl: MapSpec, inner: Any, kname: str, btf_fd: int) -> Any:
        """The map, created with the object's BTF when it has types for it (as libbpf does,
        again without BTF if the kernel refuses that)."""
        from ..kernel.maps import Map

        spec = decl.replace(name=kname)
        if btf_fd and (decl.btf_key_type_id or decl.btf_value_type_id):
            try:
                return Map.create(spec, inner_map=inner, btf=btf_fd)
            except KernelError:
                pass
        return Map.create(spec.replace(btf_key_type_id=0, btf_value_type_id=0), inner_map=inner)

    @staticmethod
    def _with_btf_types(decl: MapSpec, kbtf: Any) -> MapSpec:
        """A global-data map's value type is its section's DATASEC (libbpf's choice)."""
        if kbtf is None or decl.btf_value_type_id or not decl.extra.get("global_data"):
            return decl
        try:
            sec_id = kbtf.local.find(decl.name, "datasec")
        except BtfError:
            return decl
        return decl.replace(btf_value_type_id=sec_id)

    def _local_btf(self) -> tuple[Any, Any]:
        """The object's parsed (.BTF, .BTF.ext), or (None, None)."""
        if self._btf_obj is None:
            if self.spec.btf is None:
                self._btf_obj = (None, None)
            else:
                from ..btf import Btf
                from ..btf.ext import BtfExt

                try:
                    local = Btf(self.spec.btf, name=f"{self.spec.path}:.BTF")
                    ext = BtfExt(self.spec.btf_ext, local) if self.spec.btf_ext else None
                except BtfError as exc:
                    raise ElfError(f"bad BTF: {exc}", path=self.spec.path,
                                   section=".BTF") from None
                self._btf_obj = (local, ext)
        return self._btf_obj

    def _kernel_btf(self) -> Any:
        """The object's BTF fixed up for the kernel (loaded on first use), or None."""
        if self._kbtf is None:
            local, ext = self._local_btf()
            if local is None:
                return None
            from .btf_load import KernelBtf

            self._kbtf = KernelBtf(local, ext, self.spec.section_sizes,
                                   self.spec.section_symbols, self._kconfig_offsets)
        return self._kbtf

    def prepare_program(self, ps: ObjectProgramSpec, target_btf: Any = None, *,
                        btf_ids: bool = True) -> tuple[ProgramSpec, list[tuple[int, str]]]:
        """A copy of ``ps``'s program with externs bound and CO-RE applied for the running
        kernel (reads its BTF file; no bpf() call), or for the kernel whose BTF is
        ``target_btf``. Returns it and the CO-RE failures. ``btf_ids=False`` leaves kfunc
        and ksym references symbolic (the VM, which has no kernel to resolve them in)."""
        prog = _copy_program(ps.program)
        self._bind_externs(prog, ps, target_btf, btf_ids=btf_ids)
        failures: list[tuple[int, str]] = []
        local, ext = self._local_btf()
        if ext is not None and ext.core_relos:
            from ..btf import vmlinux
            from .core_apply import apply_core

            failures = apply_core(local, ext, ps, prog, target_btf if target_btf is not None else vmlinux())
        return prog, failures

    def verify(self, names: list[str] | None = None, kernels: list[str] | None = None) -> dict[str, Any]:
        """pybpf's verdict for each program (or those in ``names``), before any load; with
        ``kernels`` (profile names, `pybpf.verifier.kernel_profile.profile`), a
        `pybpf.verifier.fleet.FleetReport` per program instead, CO-RE resolved against each
        kernel's BTF.

        >>> BpfObject.open("x.bpf.o").verify()["handler"].accepted   # doctest: +SKIP
        True
        """
        from ..verifier import verify

        if kernels is not None:
            return self._verify_fleet(names, kernels)

        maps = self.verifier_maps()
        out = {}
        for name, ps in self.chosen_programs(names):
            prog, _failures = self.prepare_program(ps)
            report = verify(prog, ps.spec.prog_type, maps=maps,
                            expected_attach_type=ps.spec.expected_attach_type,
                            btf=self.program_btf(ps, prog), sleepable=ps.spec.sleepable)
            report.program = name
            out[name] = report
        return out

    def _verify_fleet(self, names: list[str] | None, kernels: list[str]) -> dict[str, Any]:
        from functools import partial  # lazy: the loader's start-up

        from ..verifier.fleet import verify_fleet

        maps = self.verifier_maps()
        out = {}
        for name, ps in self.chosen_programs(names):
            out[name] = verify_fleet(
                ps.program, ps.spec.prog_type, kernels, maps=maps, name=name,
                expected_attach_type=ps.spec.expected_attach_type,
                func_info=self.has_func_info(),
                prepare=self._preparer(ps), sleepable=ps.spec.sleepable,
                program_btf=partial(self.program_btf, ps))
        return out

    def chosen_programs(self, names: list[str] | None = None) -> list[tuple[str, ObjectProgramSpec]]:
        """``(name, program)`` of each program named in ``names`` (by name or section), or of
        every program, in the object's order."""
        return [(name, ps) for name, ps in self.spec.programs.items()
                if names is None or name in names or ps.section in names]

    def verifier_maps(self) -> dict[str, Any]:
        """The maps the verifier judges this object's programs with: those it declares and
        the ``.kconfig`` map of its kconfig externs (this kernel's values)."""
        maps: dict[str, Any] = dict(self.spec.maps)
        kconfig = self._kconfig_decl()
        if kconfig is not None:
            maps[".kconfig"] = kconfig
        return maps

    def has_func_info(self) -> bool:
        """Whether the object's .BTF.ext gives its functions' BTF types (func info)."""
        _local, ext = self._local_btf()
        return bool(ext is not None and ext.func_info)

    def _preparer(self, ps: ObjectProgramSpec) -> Callable[[Any], ProgramSpec]:
        """The program of ``ps`` prepared (CO-RE) against a kernel profile's BTF."""
        return lambda prof: self.prepare_program(ps, prof.vmlinux_btf())[0]

    def program_btf(self, ps: ObjectProgramSpec, prog: ProgramSpec) -> Any:
        """What the verifier needs of the object's BTF for one program: each function's BTF
        type (func info) and, for BTF-attached sections, the attach target in the running
        kernel's BTF (`pybpf.verifier.program_btf.ProgramBtf`)."""
        from ..verifier.program_btf import ProgramBtf, attach_target

        local, ext = self._local_btf()
        funcs: dict[int, int] = {}
        if ext is not None:
            for sec, fstart, _flen, first in ps.placement:
                for fi in ext.func_info.get(sec, ()):
                    if fi.insn_off == fstart:
                        funcs[first] = fi.type_id
        attach_id, attach_name = 0, ""
        s = ps.spec
        if s.attach_btf and s.target:
            kind = s.section.lstrip("?").split("/", 1)[0]
            try:
                attach_id, attach_name = attach_target(kind, s.target)
            except (BtfError, KeyError):
                pass
        if local is None and not attach_id:
            return None
        return ProgramBtf(local, funcs, attach_id, attach_name)

    def _prepare(self, ps: ObjectProgramSpec) -> tuple[ObjectProgramSpec, ProgramSpec, dict[str, Any],
                                                   list[tuple[int, str]]]:
        """A copy of the program with externs bound and CO-RE applied; load keyword args."""
        prog, failures = self.prepare_program(ps)
        kw: dict[str, Any] = {"kern_version": self.spec.kern_version}
        kbtf = self._kernel_btf()
        if kbtf is not None:
            func_info, line_info = kbtf.prog_info(ps.placement, prog.slot_offsets())
            if func_info:
                kw.update(prog_btf_fd=kbtf.fd(), func_info=func_info, func_info_rec_size=8,
                          line_info=line_info or None, line_info_rec_size=16)
        if ps.spec.expected_attach_type and not ps.spec.attach_btf:
            kw["expected_attach_type"] = ps.spec.expected_attach_type
        flags = 0
        if ps.spec.sleepable:
            flags |= 1 << 4  # BPF_F_SLEEPABLE
        if ps.spec.xdp_frags:
            flags |= 1 << 5  # BPF_F_XDP_HAS_FRAGS
        if flags:
            kw["prog_flags"] = flags
        return ps, prog, kw, failures

    def _bind_externs(self, prog: ProgramSpec, ps: ObjectProgramSpec, target_btf: Any = None, *,
                      btf_ids: bool = True) -> None:
        kernel_btf = target_btf  # the running kernel's: read at the first kfunc or ksym

        for idx, ref in list(prog.refs.items()):
            if ref.kind is RefKind.GLOBAL and self.spec.externs.get(ref.name) == ".kconfig":
                prog.refs[idx] = Ref.map(".kconfig", self._kconfig_offsets[ref.name])
                continue
            if ref.kind not in (RefKind.KFUNC, RefKind.KSYM) or not btf_ids:
                continue
            kind = "func" if ref.kind is RefKind.KFUNC else "var"
            if kernel_btf is None:
                from ..btf import vmlinux

                kernel_btf = vmlinux()
            try:
                type_id = kernel_btf.find(ref.name, kind)
            except BtfError:
                raise ElfError(f"program {ps.name!r}: extern {kind} {ref.name!r} is not in the "
                               "running kernel's BTF", path=self.spec.path,
                               section=ps.section) from None
            prog.insns[idx] = prog.insns[idx].replace(imm=type_id)
            del prog.refs[idx]

    def _load_one(self, ps: ObjectProgramSpec, prog: ProgramSpec, kw: dict[str, Any], log_level: int,
                  core_failures: list[tuple[int, str]]) -> Any:
        from .. import errors  # (errors.ProgLoadError is defined at a rejection: read there)

        try:
            return self._load_kernel(ps, prog, kw, log_level)
        except errors.ProgLoadError as exc:
            if core_failures and "unknown#195896080" in (exc.log or ""):
                lines = "; ".join(f"insn {i}: {why}" for i, why in core_failures)
                exc.args = (exc.args[0], f"{exc.args[1]} -- a CO-RE relocation found no match "
                            f"in the running kernel and its instruction was reached: {lines}")
            raise

    def _load_kernel(self, ps: ObjectProgramSpec, prog: ProgramSpec, kw: dict[str, Any],
                     log_level: int) -> Any:
        from ..kernel import prog as kprog

        s = ps.spec
        if s.attach_btf:
            from ..kernel.link import tracing

            sub = s.section.lstrip("?").split("/", 1)[0].removesuffix(".s")
            kind = {"iter": "iter", "lsm": "lsm"}.get(sub, sub)
            if not s.target:
                raise ElfError(f"program {ps.name!r}: SEC(\"{s.section}\") needs a target",
                               path=self.spec.path, section=s.section)
            return tracing.load(prog.replace(name=ps.name), kind, s.target, maps=self.maps,
                                options=kprog.LoadOptions(log_level=log_level, **kw))
        return kprog.load(prog.replace(name=ps.name), s.prog_type, maps=self.maps,
                          options=kprog.LoadOptions(log_level=log_level, **kw))

    def _init_slots(self) -> None:
        for name, decl in self.spec.maps.items():
            init = decl.extra.get("init")
            if not isinstance(init, dict) or not init:
                continue
            outer = self.maps[name]
            for slot, target in init.items():
                obj = self.maps.get(target) or (self.programs[target].prog
                                                if target in self.programs else None)
                if obj is None:
                    raise ElfError(f"map {name!r} slot {slot} names {target!r}, which is neither a "
                                   "map nor a program of this object", path=self.spec.path,
                                   section=".maps")
                outer.update(slot, obj)

    # -- teardown --------------------------------------------------------------------------
    def close(self) -> None:
        """Detach every link, close programs and maps (pinned maps stay pinned)."""
        errors: list[BaseException] = []
        for lp in self.programs.values():
            for lk in lp.links:
                try:
                    lk.close()
                except (KernelError, OSError) as e:
                    errors.append(e)
            lp.links.clear()
            lp.prog.close()
        for m in list(self.maps.values()) + self._inner_templates:
            m.close()
        if self._kbtf is not None:
            self._kbtf.close()
            self._kbtf = None
        self.programs.clear()
        self.maps.clear()
        self._inner_templates.clear()
        self._maps_created = False
        self.loaded = False
        if errors:
            raise errors[0]

    def __enter__(self) -> BpfObject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "loaded" if self.loaded else "open"
        return (f"<BpfObject {self.spec.name} {state}: programs={list(self.spec.programs)} "
                f"maps={list(self.spec.maps)}>")


#: old names, kept for one release with a DeprecationWarning (docs/elf.md showed them)
_deprecated_getattr = module_getattr(__name__, {"LoadedProgram": (f"{__name__}.ObjectProgram",
                                                                  "0.2")})


def __getattr__(name: str) -> object:
    """`GlobalVars` (pybpf.elf.globalvars, imported at an object's first ``globals``), and
    the old names."""
    if name == "GlobalVars":
        from .globalvars import GlobalVars

        return GlobalVars
    return _deprecated_getattr(name)
