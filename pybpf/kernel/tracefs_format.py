"""The ``format`` files of tracefs parsed: a tracepoint's raw record as `Field` records.

A tracepoint program receives a pointer to the raw trace record; its layout is
described by ``events/<category>/<name>/format``. `parse_format` turns the text of that
file into a `TracepointFormat` (name -> offset, size, signedness, C type, array length);
`pybpf.kernel.tracefs.tracepoint_format` reads a tracepoint's file and parses it.

>>> fmt = parse_format('''name: sys_enter_getpid
... ID: 309
... format:
... \\tfield:unsigned short common_type;\\toffset:0;\\tsize:2;\\tsigned:0;
... \\tfield:int __syscall_nr;\\toffset:8;\\tsize:4;\\tsigned:1;
...
... print fmt: ""
... ''', category="syscalls")
>>> fmt.id, fmt.fields["__syscall_nr"].offset, fmt.fields["__syscall_nr"].signed
(309, 8, True)
"""
from __future__ import annotations

from .._record import field, record
from ..errors import PybpfError

TYPE_CHECKING = False  # (not typing's: no typing import for this module)
if TYPE_CHECKING:
    import re

__all__ = ["Field", "TracepointFormat", "parse_format"]

_DECL_RE = r"^(?P<type>.*?)\s*\b(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\[(?P<len>[^\]]*)\])?\s*$"
_FIELD_RE = (r"^\s*field:(?P<decl>[^;]*);\s*offset:(?P<offset>\d+);\s*size:(?P<size>\d+);"
             r"(?:\s*signed:(?P<signed>-?\d+);)?")


@record(frozen=True)
class Field:
    """One field of a trace record.

    ``ctype`` is the C type without the array suffix (``"char"`` for
    ``char comm[16]``); ``array_len`` is the element count of a fixed array,
    0 for a flexible array (``args[]``) and None for a scalar. ``data_loc`` is
    True for ``__data_loc``/``__rel_loc`` fields: a u32 holding the length
    (high 16 bits) and offset (low 16 bits) of variable data in the record.
    ``common`` marks the ``common_*`` header every record starts with.
    """

    name: str
    ctype: str
    offset: int
    size: int
    signed: bool
    array_len: int | None = None
    data_loc: bool = False
    common: bool = False

    @property
    def is_array(self) -> bool:
        return self.array_len is not None


@record(frozen=True)
class TracepointFormat:
    """A parsed ``format`` file: the tracepoint's id, its fields in order, its print format."""

    category: str
    name: str
    id: int
    fields: dict[str, Field] = field(default_factory=dict)
    print_fmt: str = ""

    @property
    def record_fields(self) -> list[Field]:
        """The fields after the ``common_*`` header."""
        return [f for f in self.fields.values() if not f.common]

    @property
    def size(self) -> int:
        """The size of the fixed part of the record (end of the last field)."""
        return max((f.offset + f.size for f in self.fields.values()), default=0)


def _parse_decl(decl: str, line_no: int) -> tuple[str, str, int | None, bool]:
    decl = decl.strip()
    data_loc = False
    for prefix in ("__data_loc ", "__rel_loc "):
        if decl.startswith(prefix):
            data_loc = True
            decl = decl[len(prefix):]
    import re  # lazy: attaching by name reads no format file (start-up is every probe's cost)

    m = re.match(_DECL_RE, decl)
    if not m or not m.group("name"):
        raise PybpfError(f"tracepoint format line {line_no}: cannot parse field declaration {decl!r}")
    ctype = m.group("type").strip()
    length_text = m.group("len")
    array_len: int | None = None
    if length_text is not None:
        length_text = length_text.strip()
        array_len = int(length_text, 0) if length_text and re.fullmatch(r"0x[0-9a-fA-F]+|\d+",
                                                                        length_text) else 0
    if data_loc and ctype.endswith("[]"):
        ctype = ctype[:-2].strip()
        array_len = 0
    return ctype, m.group("name"), array_len, data_loc


def _field_re() -> re.Pattern[str]:
    import re  # lazy, as in _parse_decl

    return re.compile(_FIELD_RE)  # (re caches the compiled pattern)


def parse_format(text: str, *, category: str = "") -> TracepointFormat:
    """Parse the text of a tracefs ``format`` file (pure function).

    Raises `PybpfError` naming the line when a ``field:`` line is malformed.
    """
    name = ""
    tp_id = -1
    fields: dict[str, Field] = {}
    print_fmt = ""
    for line_no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("name:"):
            name = stripped[5:].strip()
        elif stripped.startswith("ID:"):
            tp_id = int(stripped[3:].strip())
        elif stripped.startswith("field:"):
            m = _field_re().match(line)
            if not m:
                raise PybpfError(f"tracepoint format line {line_no}: malformed field line {stripped!r}")
            ctype, fname, array_len, data_loc = _parse_decl(m.group("decl"), line_no)
            signed = m.group("signed") not in (None, "0")
            fields[fname] = Field(fname, ctype, int(m.group("offset")), int(m.group("size")), signed,
                                  array_len, data_loc, fname.startswith("common_"))
        elif stripped.startswith("print fmt:"):
            print_fmt = stripped[len("print fmt:"):].strip()
    if tp_id < 0:
        raise PybpfError(f"tracepoint format of {category}:{name}: no 'ID:' line")
    return TracepointFormat(category, name, tp_id, fields, print_fmt)
