"""Clang objects in the VM: every program of a ``.bpf.o`` with its maps and global data.

`VMObject` is `pybpf.elf.loader.BpfObject`'s twin without a kernel: it parses the object
(`pybpf.elf.read_object`), creates VM maps for its BTF-defined and legacy maps and for
its ``.data``/``.rodata``/``.bss``/``.kconfig`` sections (with their initial values;
``.rodata`` read-only to programs, as libbpf freezes it), links subprograms, applies the
CO-RE relocations against a chosen BTF (the running kernel's by default) and runs any
of its programs, the maps shared between programs and runs:

>>> obj = VMObject("trace_open.bpf.o")               # doctest: +SKIP
>>> obj.rodata["target_tgid"] = 42                   # doctest: +SKIP
>>> obj.vm.task = Task(pid=42, tgid=42, comm="cat")   # doctest: +SKIP
>>> obj.run("handle_openat", ctx=record).r0          # doctest: +SKIP
0
>>> obj.maps["events"].consume()                     # doctest: +SKIP
[b'*\\x00\\x00\\x00...']

Externs the VM cannot provide (kfuncs, ``.ksyms`` variables) fault with a clear
message when a program reaches them, not before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import PybpfError
from ..isa import MapSpec, ProgramSpec
from ..vm import VM, RunResult, VMMap
from ..vm.maps import vm_map


class VMObject:
    """A clang object whose programs run in the VM (see the module docstring).

    ``btf`` is the BTF CO-RE relocations resolve against and kernel structs are laid
    out by (a `pybpf.btf.Btf`, or a path to a BTF file); the running kernel's when
    None. The other keyword arguments go to `VM` (``task=``, ``helpers=``, ``image=``,
    ``seed=``, ``clock=``, ``coverage=``...).
    """

    def __init__(self, path_or_spec: Any, *, btf: Any = None, **vm_options: Any) -> None:
        from .loader import BpfObject
        from .object import ObjectSpec, read_object

        if isinstance(path_or_spec, ObjectSpec):
            spec = path_or_spec
        elif isinstance(path_or_spec, BpfObject):
            spec = path_or_spec.spec
        else:
            spec = read_object(bytes(path_or_spec) if isinstance(path_or_spec, (bytes, bytearray))
                               else str(path_or_spec))
        self.spec = spec
        if isinstance(btf, str):
            from ..btf import Btf

            btf = Btf.from_file(btf)
        self.btf = btf
        self._bo = BpfObject(spec)
        self.vm = VM(btf=btf, **vm_options)
        self.loaded = False
        #: the programs as they run (externs bound, CO-RE applied), by name
        self.programs: dict[str, ProgramSpec] = {}
        #: CO-RE relocations with no match in ``btf``, by program: (insn index, reason)
        self.core_failures: dict[str, list[tuple[int, str]]] = {}
        self._globals: dict[str, Any] = {}
        self._kconfig: MapSpec | None = None

    # -- loading -------------------------------------------------------------------------
    def load(self) -> VMObject:
        """Prepare every program and create the VM maps (with initial values); `run` does
        this on first use. ``.rodata`` and the other globals are set before it in the
        initial values, after it in the live maps (``.rodata`` frozen then, as libbpf's)."""
        self._prepare()
        if not self.loaded:
            self.reset_maps()
        return self

    def _prepare(self) -> None:
        if self.programs:
            return
        decls = self._decls()  # first: the .kconfig layout binds the kconfig externs
        for name, ps in self.spec.programs.items():
            prog, failures = self._bo.prepare_program(ps, target_btf=self.btf, btf_ids=False)
            prog.maps = {n: d for n, d in decls.items() if n in prog.maps}
            self.programs[name] = prog
            self.core_failures[name] = failures

    def _decls(self) -> dict[str, MapSpec]:
        decls = dict(self.spec.maps)
        kconfig = self._bo._kconfig_decl() if self._kconfig is None else self._kconfig
        if kconfig is not None:
            self._kconfig = kconfig
            decls[".kconfig"] = kconfig
        return decls

    def reset_maps(self) -> None:
        """Every map as it is at load: empty, global data at its initial value, maps of
        maps and program arrays with their initial slots."""
        self._prepare()
        maps = self.vm.maps
        maps.clear()
        decls = self._decls()
        for name, decl in decls.items():
            maps[name] = vm_map(decl, name, ncpus=self.vm.machine.ncpus)
        self._init_slots(decls)
        self.loaded = True

    def _init_slots(self, decls: dict[str, MapSpec]) -> None:
        """Initial slots of maps of maps and program arrays (``.values = { &inner_a }``)."""
        from ..vm.maps import MapOfMaps, ProgArrayMap

        maps = self.vm.maps
        for name, decl in decls.items():
            init = decl.extra.get("init")
            outer = maps.get(name)
            if not init or outer is None:
                continue
            for slot, target in dict(init).items():  # type: ignore[call-overload]  # extra is dict[str, object]
                key = int(slot).to_bytes(outer.key_size or 4, "little")
                if isinstance(outer, MapOfMaps) and target in maps:
                    outer.set(key, maps[target])
                elif isinstance(outer, ProgArrayMap) and target in self.spec.programs:
                    outer[int(slot)] = self.programs.get(target) or target

    @property
    def maps(self) -> dict[str, VMMap]:
        """The object's maps by name (``events``, ``.rodata``, ``.bss``...), shared by its
        programs and kept across runs."""
        return self.vm.maps

    def program(self, name: str | None = None) -> ProgramSpec:
        """The prepared program ``name`` (or the only one); by function or section name."""
        self._prepare()
        if name is None:
            if len(self.programs) != 1:
                raise PybpfError(f"{self.spec.path}: {len(self.programs)} programs "
                                 f"({', '.join(self.programs)}): name one")
            return next(iter(self.programs.values()))
        prog = self.programs.get(name)
        if prog is None:
            for pname, ops in self.spec.programs.items():
                if ops.section == name:
                    return self.programs[pname]
            raise PybpfError(f"{self.spec.path}: no program {name!r} (programs: "
                             f"{', '.join(self.programs) or 'none'})")
        return prog

    def run(self, name: str | None = None, **kwargs: Any) -> RunResult:
        """Run program ``name`` once (`VM.run` arguments: ``ctx=``, ``packet=``, ``mem=``,
        ``trace=``...); maps keep their contents between runs."""
        self.load()
        return self.vm.run(self.program(name), **kwargs)

    # -- global variables ------------------------------------------------------------------
    def globals(self, section: str) -> Any:
        """The variables of a global data section by name (``obj.bss["hits"]``), read from
        and written to the VM's map once loaded, to the initial value before."""
        from .globalvars import GlobalVars

        if section not in self._globals:
            if section not in self.spec.maps:
                raise KeyError(f"{self.spec.path}: no section {section} (global data "
                               f"sections: {', '.join(n for n in self.spec.maps if n.startswith('.'))})")
            self._globals[section] = GlobalVars(self, section,  # type: ignore[arg-type]  # duck-typed: spec, maps, loaded
                                                self._bo._layout(section))
        return self._globals[section]

    @property
    def rodata(self) -> Any:
        return self.globals(".rodata")

    @property
    def data(self) -> Any:
        return self.globals(".data")

    @property
    def bss(self) -> Any:
        return self.globals(".bss")

    def __iter__(self) -> Iterator[str]:
        return iter(self.spec.programs)

    def __repr__(self) -> str:
        return f"<VMObject {self.spec.name}: programs={list(self.spec.programs)} maps={list(self.spec.maps)}>"
