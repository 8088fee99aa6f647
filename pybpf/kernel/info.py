"""What the kernel answers about its objects: `MapInfo` and `ProgInfo` (``BPF_OBJ_GET_INFO_BY_FD``,
read by `map_info` and `prog_info`), a program's verifier figures (`ProgStats`) and one
``BPF_PROG_TEST_RUN`` (`TestRun`).

`pybpf.kernel.maps` and `pybpf.kernel.prog` name these records and import this module at
their first use: creating a map, loading a program and attaching it build none of them.

>>> with Map.create(MapSpec("counts", "array", 4, 8, 1)) as m:   # doctest: +SKIP
...     info = map_info(m.fd)
>>> info.type, info.max_entries                                  # doctest: +SKIP
('array', 1)
"""
from __future__ import annotations

from .. import uapi as A
from .._record import field, record
from ..uapi import INFO, MAP_INFO, MAP_TYPES, PROG_INFO, PROG_TYPES
from .syscall import Cmd, address, bpf

TYPE_CHECKING = False  # (not typing's)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MapInfo", "ProgInfo", "ProgStats", "TestRun", "map_info", "prog_info"]


@record(frozen=True)
class MapInfo:
    """What the kernel says about a map (``BPF_OBJ_GET_INFO_BY_FD``)."""

    id: int
    name: str
    type: str
    type_id: int
    key_size: int
    value_size: int
    max_entries: int
    flags: int
    map_extra: int = 0
    btf_id: int = 0
    btf_key_type_id: int = 0
    btf_value_type_id: int = 0
    ifindex: int = 0


def map_info(fd: int) -> MapInfo:
    """What the kernel says about the map of ``fd`` (``BPF_OBJ_GET_INFO_BY_FD``)."""
    buf = bytearray(MAP_INFO.size)
    addr, keep = address(buf)
    attr = INFO.new(bpf_fd=fd, info_len=len(buf), info=addr)
    bpf(Cmd.OBJ_GET_INFO_BY_FD, attr)
    del keep
    v = MAP_INFO.unpack(buf)
    type_id = int(v["type"])
    return MapInfo(
        id=int(v["id"]), name=bytes(v["name"]).decode(errors="replace"),
        type=A.type_name(MAP_TYPES, type_id), type_id=type_id,
        key_size=int(v["key_size"]), value_size=int(v["value_size"]),
        max_entries=int(v["max_entries"]), flags=int(v["map_flags"]),
        map_extra=int(v["map_extra"]), btf_id=int(v["btf_id"]),
        btf_key_type_id=int(v["btf_key_type_id"]),
        btf_value_type_id=int(v["btf_value_type_id"]),
        ifindex=int(v["ifindex"]))


@record(frozen=True)
class TestRun:
    """The result of `Program.test_run`: return value, mean duration per run, output data/ctx."""

    retval: int
    duration_ns: int
    data_out: bytes
    ctx_out: bytes


@record(frozen=True)
class ProgStats:
    """Verifier figures: instructions it processed and (log_level & 4) its time."""

    verified_insns: int
    verification_time_us: int | None = None
    processed_insns: int | None = None


@record(frozen=True)
class ProgInfo:
    """What the kernel says about a program (``BPF_OBJ_GET_INFO_BY_FD``)."""

    id: int
    name: str
    type: str
    type_id: int
    tag: str
    verified_insns: int
    xlated_prog_len: int
    jited_prog_len: int
    load_time: int
    created_by_uid: int
    map_ids: tuple[int, ...] = ()
    run_time_ns: int = 0
    run_cnt: int = 0
    btf_id: int = 0
    attach_btf_id: int = 0
    gpl_compatible: bool = False
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


def prog_info(fd: int) -> ProgInfo:
    """What the kernel says about the program of ``fd`` (``BPF_OBJ_GET_INFO_BY_FD``), with
    the ids of the maps it uses."""
    buf = bytearray(PROG_INFO.size)
    addr, keep = address(buf)
    attr = INFO.new(bpf_fd=fd, info_len=len(buf), info=addr)
    bpf(Cmd.OBJ_GET_INFO_BY_FD, attr)
    v = PROG_INFO.unpack(buf)
    nr_maps = int(v["nr_map_ids"])
    map_ids: tuple[int, ...] = ()
    if nr_maps:
        ids = bytearray(4 * nr_maps)
        ia, ik = address(ids)
        buf2 = PROG_INFO.new(nr_map_ids=nr_maps, map_ids=ia)
        a2, k2 = address(buf2)
        bpf(Cmd.OBJ_GET_INFO_BY_FD, INFO.new(bpf_fd=fd, info_len=len(buf2), info=a2))
        n = min(nr_maps, int(PROG_INFO.get(buf2, "nr_map_ids")))
        map_ids = tuple(int.from_bytes(ids[4 * i:4 * i + 4], "little") for i in range(n))
        del ik, k2
    del keep
    type_id = int(v["type"])
    return ProgInfo(
        id=int(v["id"]), name=bytes(v["name"]).decode(errors="replace"),
        type=A.type_name(PROG_TYPES, type_id), type_id=type_id,
        tag=bytes(v["tag"]).hex(),
        verified_insns=int(v["verified_insns"]),
        xlated_prog_len=int(v["xlated_prog_len"]),
        jited_prog_len=int(v["jited_prog_len"]), load_time=int(v["load_time"]),
        created_by_uid=int(v["created_by_uid"]), map_ids=map_ids,
        run_time_ns=int(v["run_time_ns"]), run_cnt=int(v["run_cnt"]),
        btf_id=int(v["btf_id"]), attach_btf_id=int(v["attach_btf_id"]),
        gpl_compatible=bool(v["gpl_compatible"]))
