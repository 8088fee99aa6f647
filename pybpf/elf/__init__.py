"""clang-compiled eBPF objects, loaded the way libbpf does (SEC() names, maps, globals, CO-RE)."""

from .sections import SECTION_DEFS, SectionDef, SectionSpec, find_section_def, parse_section

__all__ = ["SECTION_DEFS", "SectionDef", "SectionSpec", "find_section_def", "parse_section"]
