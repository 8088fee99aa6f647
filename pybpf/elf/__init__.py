"""clang-compiled eBPF objects, loaded the way libbpf does (SEC() names, maps, globals, CO-RE).

>>> from pybpf.elf import load_object
>>> spec = load_object("tests/progs/minimal.bpf.o")   # doctest: +SKIP
>>> list(spec.programs)                               # doctest: +SKIP
['handle_openat']
"""

from .object import ObjectProgramSpec, ObjectSpec, load_object
from .sections import SECTION_DEFS, SectionDef, SectionSpec, find_section_def, parse_section

__all__ = ["SECTION_DEFS", "ObjectSpec", "ObjectProgramSpec", "SectionDef", "SectionSpec",
           "find_section_def", "load_object", "parse_section"]
