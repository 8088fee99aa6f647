"""Tracepoints through tracefs: ids, ``format`` files parsed into fields, event lists.

A tracepoint program receives a pointer to the raw trace record; its layout is
described by ``events/<category>/<name>/format``. `tracepoint_format` parses
that file into `Field` records (name -> offset, size, signedness, C type,
array length) and `tracepoint_id` reads the id perf_event_open needs. tracefs
is found or mounted with `pybpf.kernel.fs.ensure_tracefs`.

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

import errno
import os

from .._record import field, record
from ..errors import KernelError, PybpfError
from .fs import ensure_tracefs

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    import re
    from collections.abc import Iterator

__all__ = ["Field", "TracepointFormat", "parse_format", "parse_name", "tracepoint_id",
           "tracepoint_format", "list_events", "list_categories", "event_dir"]

#: the characters of a tracepoint category or name (``[A-Za-z0-9_.-]+``)
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_DECL_RE = r"^(?P<type>.*?)\s*\b(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\[(?P<len>[^\]]*)\])?\s*$"
_FIELD_RE = (r"^\s*field:(?P<decl>[^;]*);\s*offset:(?P<offset>\d+);\s*size:(?P<size>\d+);"
             r"(?:\s*signed:(?P<signed>-?\d+);)?")


def _good_name(part: str) -> bool:
    return bool(part) and _NAME_CHARS.issuperset(part)


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


def parse_name(spec: str) -> tuple[str, str]:
    """Split ``"category:name"`` (or ``"category/name"``) and check both parts.

    >>> parse_name("syscalls:sys_enter_getpid")
    ('syscalls', 'sys_enter_getpid')
    """
    sep = ":" if ":" in spec else "/"
    category, _, name = spec.partition(sep)
    if not _good_name(category) or not _good_name(name):
        raise PybpfError(f"bad tracepoint name {spec!r}: expected 'category:name', "
                         "e.g. 'syscalls:sys_enter_getpid'")
    return category, name


def event_dir(category: str, name: str) -> str:
    """The tracefs directory of a tracepoint; raises KernelError(ENOENT) naming it when absent."""
    for part in (category, name):
        if not _good_name(part):
            raise PybpfError(f"bad tracepoint name {category}:{name}")
    root = ensure_tracefs()
    path = os.path.join(root, "events", category, name)
    if not os.path.isdir(path):
        known = os.path.isdir(os.path.join(root, "events", category))
        what = "no such event in category" if known else "no such category"
        raise KernelError("tracepoint lookup", errno.ENOENT,
                          hint=f"unknown tracepoint {category}:{name} ({what} {category!r} "
                          f"under {root}/events)")
    return path


def _read_event_file(category: str, name: str, leaf: str) -> str:
    path = os.path.join(event_dir(category, name), leaf)
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        raise KernelError("tracepoint lookup", e.errno or errno.EIO,
                          hint=f"cannot read {path} for tracepoint {category}:{name}") from e


def tracepoint_id(category: str, name: str) -> int:
    """The id of a tracepoint (``events/<category>/<name>/id``), for perf_event_open.

    >>> tracepoint_id("syscalls", "sys_enter_getpid")   # doctest: +SKIP
    309
    """
    return int(_read_event_file(category, name, "id").strip())


def tracepoint_format(category: str, name: str) -> TracepointFormat:
    """The parsed ``format`` file of a tracepoint.

    >>> tracepoint_format("raw_syscalls", "sys_enter").fields["args"].array_len   # doctest: +SKIP
    6
    """
    return parse_format(_read_event_file(category, name, "format"), category=category)


def list_events(category: str | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(category, name)`` of every tracepoint (optionally of one category), sorted.

    >>> ("syscalls", "sys_enter_getpid") in set(list_events("syscalls"))   # doctest: +SKIP
    True
    """
    root = os.path.join(ensure_tracefs(), "events")
    categories = [category] if category is not None else list_categories()
    for cat in categories:
        cdir = os.path.join(root, cat)
        if not os.path.isdir(cdir):
            raise KernelError("tracepoint lookup", errno.ENOENT,
                              hint=f"unknown tracepoint category {cat!r} under {root}")
        for name in sorted(os.listdir(cdir)):
            if os.path.isfile(os.path.join(cdir, name, "id")):
                yield cat, name


def list_categories() -> list[str]:
    """The tracepoint categories (directories under ``events/``), sorted."""
    root = os.path.join(ensure_tracefs(), "events")
    return sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
