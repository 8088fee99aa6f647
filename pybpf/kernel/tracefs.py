"""Tracepoints through tracefs: ids, event lists, ``format`` files parsed into fields.

`tracepoint_id` reads the id perf_event_open needs (``events/<category>/<name>/id``);
`tracepoint_format` parses a tracepoint's ``format`` file, the layout of the raw trace
record its program receives, into `Field` records (name -> offset, size, signedness, C
type, array length). tracefs is read at its conventional mount (``/sys/kernel/tracing``)
when it is there, else found or mounted with `pybpf.kernel.fs.ensure_tracefs`.
The parser (`parse_format`, `Field`, `TracepointFormat`) is `pybpf.kernel.tracefs_format`'s,
given here too and imported at its first use: attaching by name reads no format file.

>>> parse_name("syscalls:sys_enter_getpid")
('syscalls', 'sys_enter_getpid')
"""
from __future__ import annotations

import errno
import os

from ..errors import KernelError, PybpfError

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterator

    from .tracefs_format import Field, TracepointFormat, parse_format

__all__ = ["Field", "TracepointFormat", "parse_format", "parse_name", "tracepoint_id",
           "tracepoint_format", "list_events", "list_categories", "event_dir"]

#: the characters of a tracepoint category or name (``[A-Za-z0-9_.-]+``)
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def __getattr__(name: str) -> object:
    """`Field`, `TracepointFormat`, `parse_format`: the format parser's, imported at their
    first use."""
    if name not in ("Field", "TracepointFormat", "parse_format"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import tracefs_format

    value = globals()[name] = getattr(tracefs_format, name)
    return value


#: where tracefs is mounted on current systems (`pybpf.kernel.fs.TRACEFS_PATH`)
_CONVENTIONAL = "/sys/kernel/tracing"


def _root() -> str:
    """The tracefs root: its conventional mount when that holds the events (a tracepoint's
    id is then read without the mount table: attaching a probe is a start-up path), else
    `pybpf.kernel.fs.ensure_tracefs`'s (found in the mount table, or mounted)."""
    if os.path.isdir(_CONVENTIONAL + "/events"):
        return _CONVENTIONAL
    from .fs import ensure_tracefs

    return ensure_tracefs()


def _good_name(part: str) -> bool:
    return bool(part) and _NAME_CHARS.issuperset(part)


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
    root = _root()
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
    from .tracefs_format import parse_format  # (lazy: attaching by name parses no format)

    return parse_format(_read_event_file(category, name, "format"), category=category)


def list_events(category: str | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(category, name)`` of every tracepoint (optionally of one category), sorted.

    >>> ("syscalls", "sys_enter_getpid") in set(list_events("syscalls"))   # doctest: +SKIP
    True
    """
    root = os.path.join(_root(), "events")
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
    root = os.path.join(_root(), "events")
    return sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
