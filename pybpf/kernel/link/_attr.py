"""Private: the bpf_attr buffers of the link commands, built with `pybpf.uapi`.

The layouts themselves come from `pybpf.kernel.attrs` (generated from the
kernel's BTF); this module only names the few combinations the link kinds use
and turns the kernel's enum tables into `IntEnum`s for readable `LinkInfo`.
"""
from __future__ import annotations

from ... import uapi as _a

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any


def _int_enum(name: str, table: dict[str, int]) -> Any:
    """An IntEnum built from a generated kernel table: its members are only known at run
    time, so it is typed ``Any`` (its values are plain ints)."""
    import enum  # lazy: made on first use (see below)

    return enum.IntEnum(name, {k.upper(): v for k, v in table.items()})


#: The kernel's enum tables as IntEnums, made on first use (``_attr.AttachType``...): ~100
#: members that attaching a probe does not need (it passes the plain ints below).
#: ``AttachType`` is ``enum bpf_attach_type`` (names without the BPF_ prefix), ``LinkType``
#: ``enum bpf_link_type`` (without BPF_LINK_TYPE_), ``PerfEventType`` ``enum
#: bpf_perf_event_type`` (``bpf_link_info.perf_event.type``), all from the kernel's BTF.
_ENUMS = {"AttachType": _a.ATTACH_TYPES, "LinkType": _a.LINK_TYPES,
          "PerfEventType": _a.PERF_EVENT_TYPES}

if TYPE_CHECKING:
    AttachType: Any
    LinkType: Any
    PerfEventType: Any


def __getattr__(name: str) -> Any:
    table = _ENUMS.get(name)
    if table is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = _int_enum(name, table)
    return value


#: ``BPF_PERF_EVENT``, the attach type of perf event links (a tracepoint's)
ATTACH_PERF_EVENT = _a.ATTACH_TYPES["perf_event"]


F_REPLACE = _a.BPF_F_REPLACE
F_BEFORE = _a.BPF_F_BEFORE
F_AFTER = _a.BPF_F_AFTER
F_LINK = _a.BPF_F_LINK

# XDP_FLAGS_* (uapi if_link.h #defines) for BPF_XDP links: defined once in attrs.
XDP_FLAGS_SKB_MODE = _a.XDP_FLAGS_SKB_MODE
XDP_FLAGS_DRV_MODE = _a.XDP_FLAGS_DRV_MODE
XDP_FLAGS_HW_MODE = _a.XDP_FLAGS_HW_MODE

LINK_INFO = _a.LINK_INFO


def link_create(prog_fd: int, target_fd: int, attach_type: int, flags: int = 0,
                **extra: int) -> bytearray:
    """A BPF_LINK_CREATE attr; ``extra`` names union fields with ``__`` for ``.``
    (``tracing__target_btf_id=5``)."""
    fields = {k.replace("__", "."): v for k, v in extra.items()}
    return _a.LINK_CREATE.new(prog_fd=prog_fd, target_fd=target_fd, attach_type=attach_type,
                              flags=flags, **fields)


def link_update(link_fd: int, new_prog_fd: int, flags: int = 0, old_prog_fd: int = 0) -> bytearray:
    return _a.LINK_UPDATE.new(link_fd=link_fd, new_prog_fd=new_prog_fd, flags=flags,
                              old_prog_fd=old_prog_fd)


def link_detach(link_fd: int) -> bytearray:
    return _a.LINK_DETACH.new(link_fd=link_fd)


def iter_create(link_fd: int) -> bytearray:
    return _a.ITER_CREATE.new(link_fd=link_fd)


def raw_tracepoint_open(name_ptr: int, prog_fd: int, cookie: int = 0) -> bytearray:
    return _a.RAW_TRACEPOINT.new(name=name_ptr, prog_fd=prog_fd, cookie=cookie)


def obj_info(fd: int, info_ptr: int, info_len: int) -> bytearray:
    return _a.INFO.new(bpf_fd=fd, info_len=info_len, info=info_ptr)


def id_attr(start_id: int = 0, open_flags: int = 0) -> bytearray:
    return _a.GET_ID.new(start_id=start_id, open_flags=open_flags)


def next_id(attr: bytearray) -> int:
    return int(_a.GET_ID.get(attr, "next_id"))
