"""The batch the vmtest loader replays: bpf() calls encoded on the host, results decoded back.

The loader (``loader.c``) knows no attribute layout. Every ``union bpf_attr`` is built here
with pybpf's own layouts (`pybpf.kernel.attrs`); the batch only tells the loader where to
write the address of a blob (instructions, license, log buffer, map key...) and where to
write the fd an earlier call returned (a map into an ``lddw``, a BTF into ``prog_btf_fd``).
The same batch runs natively on the host or inside a guest kernel.

>>> from pybpf.asm import assemble
>>> b = Batch()
>>> i = b.add_program("ok", assemble("r0 = 0\\nexit"), "socket_filter")
>>> data = b.encode()
>>> data[:8], len(b.records)
(b'PBVTBAT1', 1)
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pybpf import uapi as A
from pybpf.isa import MapSpec, ProgramSpec, RefKind
from pybpf.isa.opcodes import CallSrc, PseudoSrc
from pybpf.kernel.syscall import Cmd

NO_SLOT = 0xFFFFFFFF
_PTR, _FD, _SIZE = 1, 2, 3
_REPORT = 1
_IF_EMPTY = 2
_GROW_LOG = 4
_OP_BPF, _OP_CLOSE, _OP_DUMP = 1, 2, 3
#: log buffer per program (the suite's rejections fit; an overflow reports ENOSPC, and a
#: program's log load made with ``log_on_failure`` is made again with a larger buffer: see
#: `Record.grow_log`)
LOG_SIZE = 1 << 20
_LDDW = 0x18
_ZEROED = 0x80000000


#: the fd slot of a program's object BTF (map slots count up from 0)
BTF_SLOT = 4000
#: the fd slot of a program loaded without a log (`Batch.add_program`'s ``log_on_failure``)
PROG_SLOT = 4001


@dataclass(frozen=True)
class ObjectBtf:
    """What a program of a clang object loads with besides its instructions: the object's BTF
    (as BPF_BTF_LOAD takes it) and the program's func_info/line_info records (8 and 16 bytes)."""

    blob: bytes
    func_info: bytes = b""
    line_info: bytes = b""


class BatchError(ValueError):
    """A program the batch cannot encode (names the program and instruction)."""


@dataclass
class Record:
    """One call the loader makes: ``bpf(cmd, attr)``, a close of fd slots ``[cmd, slot)``, or a
    file dump."""

    op: int
    cmd: int
    attr: bytes
    report: bool = False
    #: make the call only when ``slot`` holds no fd yet (a fallback for a failed call)
    if_empty: bool = False
    #: when the call fails with ENOSPC, make it again with a 256x larger log buffer up to the
    #: kernel's limit of UINT_MAX >> 2 bytes, as libbpf does, and report only the log's last
    #: 64 KiB: a kernel whose log does not rotate (6.1) drops the end of a log that overflows,
    #: the error with it (the buffer's size goes in by a ``_SIZE`` patch)
    grow_log: bool = False
    slot: int = NO_SLOT
    #: bytes shipped with the record, or an int: a zeroed buffer of that size
    blobs: list[bytes | int] = field(default_factory=list)
    #: (kind: _PTR a blob's address, _FD a slot's fd, _SIZE a blob's size; target (0 = attr,
    #: i = blob i-1); offset; value (blob index or slot))
    patches: list[tuple[int, int, int, int]] = field(default_factory=list)
    log_blob: int = 0  # blob index + 1 of the log buffer, 0 = none

    def encode(self) -> bytes:
        flags = (_REPORT if self.report else 0) | (_IF_EMPTY if self.if_empty else 0) | \
            (_GROW_LOG if self.grow_log else 0)
        head = struct.pack("<8I", self.op, self.cmd, len(self.attr), flags,
                           self.slot, len(self.blobs), len(self.patches), self.log_blob)
        parts = [head, self.attr]
        for b in self.blobs:
            if isinstance(b, int):  # a zeroed buffer of b bytes (a log), not shipped
                parts.append(struct.pack("<I", b | _ZEROED))
            else:
                parts += [struct.pack("<I", len(b)), b]
        parts += [struct.pack("<4I", *p) for p in self.patches]
        return b"".join(parts)


@dataclass
class Result:
    """What the loader reported for one record: the return value, errno and the log or data."""

    ret: int
    errno: int
    data: bytes

    @property
    def log(self) -> str:
        return self.data.decode(errors="replace")


#: resolves a kernel function or variable name to its BTF id in the target kernel
BtfLookup = Callable[[str, str], int]


class Batch:
    """A list of loader records, with helpers to add whole programs (maps and all)."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        #: record index of each program's PROG_LOAD, by the name given to `add_program`
        self.programs: dict[str, int] = {}
        #: record index of the load again with a log, made only when the first failed (programs
        #: added with ``log_on_failure``)
        self.logs: dict[str, int] = {}
        #: (map name, record index) of the maps each program's load creates, by program key
        self.map_records: dict[str, list[tuple[str, int]]] = {}
        #: the records ``[start, end)`` each program, map probe or dump added, by its key: a
        #: unit needs no record outside its range (fd slots are its own), so its answer is a
        #: fact of its bytes and the kernel (`tools.vmtest.cache`)
        self.units: dict[str, tuple[int, int]] = {}
        self._current = ""

    def add(self, record: Record) -> int:
        self.records.append(record)
        return len(self.records) - 1

    def dump_file(self, path: str) -> int:
        """Ask the loader for the bytes of ``path`` (``/sys/kernel/btf/vmlinux``...)."""
        index = self.add(Record(_OP_DUMP, 0, b"", report=True, blobs=[path.encode() + b"\0"]))
        self.units[f"dump:{path}"] = (index, index + 1)
        return index

    def add_program(self, key: str, spec: ProgramSpec, prog_type: str, *,
                    expected_attach_type: str | None = None, license: str | None = None,
                    log_level: int = 1, prog_flags: int = 0, name: str = "",
                    btf: BtfLookup | None = None, log_size: int = LOG_SIZE,
                    maps: Mapping[str, MapSpec] | None = None, object_btf: ObjectBtf | None = None,
                    attach_btf_id: int = 0, log_on_failure: bool = False) -> int:
        """Create the program's maps (its own declarations, else those of ``maps``), load it
        (reported), close its fds; returns the record index of the load, also kept in
        ``programs[key]``. With ``log_on_failure`` the program is loaded without a log, and
        again with one only when that failed (as libbpf does: a log buffer too small for the
        instructions a long verification prints would fail the load of a correct program
        with ENOSPC since 6.4); `result` joins the two. That log load grows its buffer while
        the kernel answers ENOSPC (`Record.grow_log`)."""
        self._current = key
        first = len(self.records)
        slots: dict[str, int] = {}
        btf_slot = None
        if object_btf is not None and object_btf.blob:
            btf_slot = BTF_SLOT
            i = self.add(Record(_OP_BPF, Cmd.BTF_LOAD, bytes(A.BTF_LOAD.new(btf_size=len(object_btf.blob))),
                                report=True, slot=btf_slot, blobs=[object_btf.blob],
                                patches=[(_PTR, 0, A.BTF_LOAD.offset("btf"), 0)]))
            self.map_records.setdefault(key, []).append(("(the object's BTF)", i))

        def map_slot(mname: str, at: int) -> int:
            if mname in slots:
                return slots[mname]
            decl = spec.maps.get(mname) or (maps or {}).get(mname)
            if decl is None:
                raise BatchError(f"{key}: insn {at}: map {mname!r} is not declared by the program")
            inner = None
            if isinstance(decl.inner, str):  # the name of another declared map
                inner = map_slot(decl.inner, at)
            elif decl.inner is not None:  # a template of its own
                slots[f"{mname}.inner"] = inner = self._create_map(decl.inner, len(slots), None, btf_slot)
            slots[mname] = self._create_map(decl, len(slots), inner, btf_slot)
            return slots[mname]

        insns = spec.resolve()  # labels (jumps, subprogram calls, callbacks) as offsets
        fd_patches: list[tuple[int, int]] = []  # (byte offset in the code, slot)
        for idx, ref in sorted(spec.refs.items()):
            insn = insns[idx]
            if ref.kind is RefKind.LABEL:
                continue
            if ref.kind in (RefKind.KFUNC, RefKind.KSYM):
                if btf is None:
                    raise BatchError(f"{key}: insn {idx}: {ref.name!r} needs the target kernel's BTF")
                if ref.kind is RefKind.KFUNC:
                    insns[idx] = insn.replace(src=CallSrc.KFUNC, imm=btf(ref.name, "func"), off=0)
                else:
                    insns[idx] = insn.replace(src=PseudoSrc.BTF_ID, imm=btf(ref.name, "var"))
                continue
            if ref.kind not in (RefKind.MAP, RefKind.GLOBAL) or insn.opcode != _LDDW:
                raise BatchError(f"{key}: insn {idx}: cannot bind a {ref.kind.value} reference")
            slot = map_slot(ref.name, idx)
            value_ref = ref.offset != 0 or ref.kind is RefKind.GLOBAL or insn.src == PseudoSrc.MAP_VALUE
            src = PseudoSrc.MAP_VALUE if value_ref else PseudoSrc.MAP_FD
            insns[idx] = insn.replace(src=src, imm=(ref.offset << 32) if value_ref else 0)
            fd_patches.append((idx, slot))
        code = b"".join(i.encode() for i in insns)
        starts = _slot_starts(insns)
        lic = (license if license is not None else spec.license or "GPL").encode() + b"\0"
        fields: dict = {"prog_type": A.prog_type(prog_type), "insn_cnt": len(code) // 8,
                        "log_level": log_level, "log_size": log_size, "prog_flags": prog_flags,
                        "prog_name": name[:15]}
        if expected_attach_type:
            fields["expected_attach_type"] = A.attach_type(expected_attach_type)
        if attach_btf_id:
            fields["attach_btf_id"] = attach_btf_id
        info = object_btf if object_btf is not None and btf_slot is not None and object_btf.func_info else None
        if info is not None:
            fields.update(func_info_rec_size=8, func_info_cnt=len(info.func_info) // 8)
            if info.line_info:
                fields.update(line_info_rec_size=16, line_info_cnt=len(info.line_info) // 16)
        attr = A.PROG_LOAD.new(**fields)
        rec = Record(_OP_BPF, Cmd.PROG_LOAD, bytes(attr), report=True,
                     blobs=[code, lic, log_size], log_blob=3)
        rec.patches += [(_PTR, 0, A.PROG_LOAD.offset("insns"), 0),
                        (_PTR, 0, A.PROG_LOAD.offset("license"), 1),
                        (_PTR, 0, A.PROG_LOAD.offset("log_buf"), 2)]
        if info is not None:
            rec.patches.append((_FD, 0, A.PROG_LOAD.offset("prog_btf_fd"), BTF_SLOT))
            rec.blobs.append(info.func_info)
            rec.patches.append((_PTR, 0, A.PROG_LOAD.offset("func_info"), len(rec.blobs) - 1))
            if info.line_info:
                rec.blobs.append(info.line_info)
                rec.patches.append((_PTR, 0, A.PROG_LOAD.offset("line_info"), len(rec.blobs) - 1))
        rec.patches += [(_FD, 1, starts[idx] * 8 + 4, slot) for idx, slot in fd_patches]
        if log_on_failure:
            quiet = A.PROG_LOAD.new(**{**fields, "log_level": 0, "log_size": 0})
            nolog = Record(_OP_BPF, Cmd.PROG_LOAD, bytes(quiet), report=True, slot=PROG_SLOT,
                           blobs=list(rec.blobs), patches=[p for p in rec.patches if p[2] != A.PROG_LOAD.offset("log_buf")
                                                           or p[1] != 0])
            nolog.blobs[2] = 1  # no log: a placeholder for the log buffer's place in the list
            quiet_index = self.add(nolog)
            rec.slot, rec.if_empty, rec.grow_log = PROG_SLOT, True, True
            rec.patches.append((_SIZE, 0, A.PROG_LOAD.offset("log_size"), 2))
            self.logs[key] = self.add(rec)
            self.add(Record(_OP_CLOSE, PROG_SLOT, b"", slot=PROG_SLOT + 1))
            index = quiet_index
        else:
            index = self.add(rec)
        if slots:
            self.add(Record(_OP_CLOSE, 0, b"", slot=len(slots)))  # closes slots [0, len)
        if btf_slot is not None:
            self.add(Record(_OP_CLOSE, BTF_SLOT, b"", slot=BTF_SLOT + 1))
        self.programs[key] = index
        self.units[key] = (first, len(self.records))
        return index

    def result(self, key: str, results: Mapping[int, Result]) -> Result | None:
        """The outcome of program ``key``: its load's return value and errno, and the log of
        the load with a log (None when the loader did not get to it)."""
        first = results.get(self.programs[key])
        if first is None or key not in self.logs or first.ret >= 0:
            return first
        again = results.get(self.logs[key])
        return Result(first.ret, first.errno, again.data if again is not None else b"")

    def add_map_probe(self, key: str, map_type: str, fields: dict[str, int]) -> int:
        """Create a map (reported: does this kernel know the type?) and close it again."""
        attr = A.MAP_CREATE.new(map_type=A.map_type(map_type), **fields)
        index = self.add(Record(_OP_BPF, Cmd.MAP_CREATE, bytes(attr), report=True))
        self.programs[key] = index
        self.units[key] = (index, index + 1)
        return index

    def _create_map(self, decl: MapSpec, slot: int, inner: int | None, btf_slot: int | None = None) -> int:
        """Create ``decl`` into ``slot``: with the object's BTF types when it has some, and
        again without them when the kernel refuses that (libbpf's fallback: sockmaps, devmaps
        and others take no BTF). The reported record is the one that decides."""
        with_btf = btf_slot is not None and bool(decl.btf_key_type_id or decl.btf_value_type_id)
        max_entries = decl.max_entries
        if decl.type == "perf_event_array" and not max_entries:
            max_entries = 1  # libbpf: one slot a possible CPU (the guests run one)
        attempts = [True, False] if with_btf else [False]
        for n, btf in enumerate(attempts):
            fields: dict = {}
            if btf:
                fields = {"btf_key_type_id": decl.btf_key_type_id, "btf_value_type_id": decl.btf_value_type_id}
            attr = A.MAP_CREATE.new(map_type=A.map_type(decl.type), key_size=decl.key_size,
                                    value_size=decl.value_size, max_entries=max_entries,
                                    map_flags=decl.flags, map_extra=decl.map_extra,
                                    map_name=_map_name(decl.name), **fields)
            last = n == len(attempts) - 1
            rec = Record(_OP_BPF, Cmd.MAP_CREATE, bytes(attr), report=last, slot=slot, if_empty=n > 0)
            if inner is not None:
                rec.patches.append((_FD, 0, A.MAP_CREATE.offset("inner_map_fd"), inner))
            if btf:
                rec.patches.append((_FD, 0, A.MAP_CREATE.offset("btf_fd"), btf_slot))
            index = self.add(rec)
            if last:
                self.map_records.setdefault(self._current, []).append((decl.name, index))
        if decl.initial is not None:
            value = bytes(decl.initial).ljust(decl.value_size, b"\0")
            up = A.MAP_ELEM.new()
            self.add(Record(_OP_BPF, Cmd.MAP_UPDATE_ELEM, bytes(up), blobs=[bytes(4), value],
                            patches=[(_FD, 0, A.MAP_ELEM.offset("map_fd"), slot),
                                     (_PTR, 0, A.MAP_ELEM.offset("key"), 0),
                                     (_PTR, 0, A.MAP_ELEM.offset("value"), 1)]))
            if decl.frozen:
                self.add(Record(_OP_BPF, Cmd.MAP_FREEZE, bytes(A.MAP_ELEM.new()),
                                patches=[(_FD, 0, A.MAP_ELEM.offset("map_fd"), slot)]))
        return slot

    def encode(self) -> bytes:
        return b"PBVTBAT1" + struct.pack("<I", len(self.records)) + b"".join(
            r.encode() for r in self.records)


def _slot_starts(insns: Sequence) -> list[int]:
    starts, at = [], 0
    for i in insns:
        starts.append(at)
        at += 2 if i.opcode == _LDDW else 1
    return starts


def _map_name(name: str) -> str:
    clean = "".join(c if c.isalnum() or c in "_." else "_" for c in name)
    return clean[:15]


def decode_results(data: bytes) -> dict[int, Result]:
    """The loader's results by record index; raises `BatchError` when the stream is cut
    short (the guest died or the run timed out)."""
    if not data.startswith(b"PBVTRES1"):
        raise BatchError("the results do not start with the loader's header (no output?)")
    pos = 8
    out: dict[int, Result] = {}
    while True:
        tag = data[pos:pos + 4]
        if tag == b"END!":
            return out
        if tag != b"REC!" or pos + 20 > len(data):
            raise BatchError(f"results cut short after {len(out)} records (at byte {pos})")
        index, ret, err, n = struct.unpack_from("<Iiii", data, pos + 4)
        if pos + 20 + n > len(data):
            raise BatchError(f"results cut short inside record {index}")
        out[index] = Result(ret, err, data[pos + 20:pos + 20 + n])
        pos += 20 + n
