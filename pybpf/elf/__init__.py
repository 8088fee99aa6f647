"""clang-compiled eBPF objects, loaded the way libbpf does (SEC() names, maps, globals, CO-RE).

>>> from pybpf.elf import read_object
>>> spec = read_object("tests/progs/minimal.bpf.o")   # doctest: +SKIP
>>> list(spec.programs)                               # doctest: +SKIP
['handle_openat']
"""

from .._deprecated import module_getattr
from .object import ObjectProgramSpec, ObjectSpec, read_object
from .sections import SectionSpec, find_section_def, parse_section

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from .section_defs import SectionDef
    from .sections import SECTION_DEFS

__all__ = ["SECTION_DEFS", "ObjectSpec", "ObjectProgramSpec", "SectionDef", "SectionSpec",
           "find_section_def", "read_object", "parse_section"]

#: old names, kept for one release with a DeprecationWarning (docs showed them)
_deprecated_getattr = module_getattr(__name__, {"load_object": ("pybpf.elf.object.read_object",
                                                                 "0.2")})


def __getattr__(name: str) -> object:
    """``SECTION_DEFS`` and `SectionDef` (pybpf.elf.sections makes the records on first
    use), and the old names."""
    if name in ("SECTION_DEFS", "SectionDef"):
        from . import sections

        return getattr(sections, name)
    return _deprecated_getattr(name)
