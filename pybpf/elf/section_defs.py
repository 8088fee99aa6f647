"""The rows of libbpf's ``SEC()`` table as records: `SectionDef`, and `Match`, how a row's
name matches (`pybpf.elf.sections` keeps the table as plain tuples, which is all parsing a
section name needs, and makes these on first use of ``SECTION_DEFS``).

>>> from pybpf.elf.sections import SECTION_DEFS
>>> SECTION_DEFS[0].name, SECTION_DEFS[0].match, SECTION_DEFS[0].attach
('socket', <Match.EXACT: 'exact'>, 'socket_filter')
"""

from __future__ import annotations

from .._record import record

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from enum import Enum

    class StrEnum(str, Enum):  # what pybpf._enum.StrEnum is, for type checkers
        pass
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import StrEnum


class Match(StrEnum):
    EXACT = "exact"
    PLUS = "plus"
    PREFIX = "prefix"


@record(frozen=True)
class SectionDef:
    """One row of the table: how a section name maps to a program."""

    name: str
    prog_type: str
    expected_attach_type: str | None = None
    match: Match = Match.PLUS
    attach: str | None = None  # the auto-attach kind (pybpf.kernel.link), None: manual
    sleepable: bool = False
    attach_btf: bool = False  # needs a BTF id of its target (fentry, lsm, tp_btf, iter...)
    xdp_frags: bool = False  # loaded with BPF_F_XDP_HAS_FRAGS (multi-buffer packets)
