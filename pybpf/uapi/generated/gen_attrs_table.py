#!/usr/bin/env python3
"""Generate attrs_table.py (beside this file): bpf() attribute layouts and constants.

Every fact comes from the *running* kernel's BTF (``/sys/kernel/btf/vmlinux``),
read here with a minimal self-contained raw-BTF reader (so the generator needs
neither bpftool nor the system's older ``<linux/bpf.h>``):

- the layout of each member of ``union bpf_attr`` (one per bpf() command), with
  nested anonymous unions/structs flattened and named sub-structs prefixed
  (``perf_event.bpf_cookie``);
- the layouts of ``struct bpf_prog_info``, ``bpf_map_info``, ``bpf_btf_info``
  and ``bpf_link_info``;
- the enums ``bpf_map_type``, ``bpf_prog_type``, ``bpf_attach_type``,
  ``bpf_link_type``, ``bpf_cmd`` and the anonymous enums of ``BPF_F_*`` /
  ``BPF_ANY`` flag constants.

Run: ``python -m pybpf.uapi.generated.gen_attrs_table > pybpf/uapi/generated/attrs_table.py``
"""
from __future__ import annotations

import struct
import sys

VMLINUX = "/sys/kernel/btf/vmlinux"

# BTF kinds
INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)

#: Anonymous members of union bpf_attr, named after the command family that uses them,
#: recognised by their first leaf field.
ANON_ATTR_NAMES = {
    "map_type": "map_create",
    "map_fd": "map_elem",
    "prog_type": "prog_load",
    "pathname": "obj",
    "target_fd": "prog_attach",
    "start_id": "get_id",
    "btf": "btf_load",
}

INFO_STRUCTS = {"bpf_prog_info": "prog_info", "bpf_map_info": "map_info",
                "bpf_btf_info": "btf_info", "bpf_link_info": "link_info"}

ENUMS = {"bpf_map_type": ("MAP_TYPES", "BPF_MAP_TYPE_"),
         "bpf_prog_type": ("PROG_TYPES", "BPF_PROG_TYPE_"),
         "bpf_attach_type": ("ATTACH_TYPES", "BPF_"),
         "bpf_link_type": ("LINK_TYPES", "BPF_LINK_TYPE_"),
         "bpf_cmd": ("COMMANDS", "BPF_"),
         "bpf_stats_type": ("STATS_TYPES", "BPF_STATS_"),
         "bpf_perf_event_type": ("PERF_EVENT_TYPES", "BPF_PERF_EVENT_")}

#: Anonymous enums whose constants are exported (recognised by one member).
FLAG_ENUM_MARKERS = ("BPF_ANY", "BPF_F_NO_PREALLOC", "BPF_F_INGRESS", "BPF_F_RB_NO_WAKEUP",
                     "BPF_RB_BUSY_BIT", "BPF_F_ADJ_ROOM_FIXED_GSO", "BPF_F_CURRENT_CPU",
                     "BPF_F_SKIP_FIELD_MASK", "BPF_F_RECOMPUTE_CSUM", "BPF_F_USER_STACK",
                     "BPF_F_BPRM_SECUREEXEC", "BPF_F_INDEX_MASK", "BPF_RB_AVAIL_DATA",
                     "BPF_F_GET_BRANCH_RECORDS_SIZE", "BPF_F_BROADCAST", "BPF_F_TIMER_ABS",
                     "BPF_F_KPROBE_MULTI_RETURN", "BPF_F_UPROBE_MULTI_RETURN",
                     "BPF_F_SYSCTL_BASE_NAME", "BPF_F_PAD_ZEROS")


class Btf:
    """Just enough of a raw BTF reader for this generator."""

    def __init__(self, data: bytes) -> None:
        magic, _ver, _flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(
            "<HBBIIIII", data, 0)
        if magic != 0xEB9F:
            raise SystemExit(f"not BTF (magic {magic:#x})")
        self.strings = data[hdr_len + str_off:hdr_len + str_off + str_len]
        self.types: list[tuple] = [(0, "", 0, 0, 0, None)]  # id 0 is void
        pos, end = hdr_len + type_off, hdr_len + type_off + type_len
        while pos < end:
            name_off, info, size_type = struct.unpack_from("<III", data, pos)
            pos += 12
            kind, vlen, kflag = (info >> 24) & 0x1F, info & 0xFFFF, info >> 31
            extra: object = None
            if kind == INT:
                extra = struct.unpack_from("<I", data, pos)[0]
                pos += 4
            elif kind == ARRAY:
                extra = struct.unpack_from("<III", data, pos)
                pos += 12
            elif kind in (STRUCT, UNION):
                extra = [struct.unpack_from("<III", data, pos + 12 * i) for i in range(vlen)]
                pos += 12 * vlen
            elif kind == ENUM:
                extra = [struct.unpack_from("<Ii", data, pos + 8 * i) for i in range(vlen)]
                pos += 8 * vlen
            elif kind == FUNC_PROTO:
                pos += 8 * vlen
            elif kind in (VAR, DECL_TAG):
                pos += 4
            elif kind == DATASEC:
                pos += 12 * vlen
            elif kind == ENUM64:
                extra = [(n, lo | (hi << 32)) for n, lo, hi in
                         (struct.unpack_from("<III", data, pos + 12 * i) for i in range(vlen))]
                pos += 12 * vlen
            self.types.append((kind, self.name(name_off), size_type, kflag, vlen, extra))

    def name(self, off: int) -> str:
        end = self.strings.index(b"\0", off)
        return self.strings[off:end].decode()

    def find(self, kind: int, name: str) -> int:
        for tid, t in enumerate(self.types):
            if t[0] == kind and t[1] == name:
                return tid
        raise SystemExit(f"BTF has no {name}")

    def resolve(self, tid: int) -> int:
        while self.types[tid][0] in (TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG):
            tid = self.types[tid][2]
        return tid

    def size(self, tid: int) -> int:
        tid = self.resolve(tid)
        kind, _n, size_type, _k, _v, extra = self.types[tid]
        if kind == PTR:
            return 8
        if kind == ARRAY:
            elem, _index, nelems = extra
            return nelems * self.size(elem)
        return size_type

    def kind_code(self, tid: int) -> str:
        """'u' unsigned int, 'i' signed int, 's' byte string (char arrays), 'b' other bytes."""
        tid = self.resolve(tid)
        kind, _n, _s, _k, _v, extra = self.types[tid]
        if kind == INT:
            return "i" if (extra >> 24) & 1 else "u"
        if kind == ENUM:
            return "u"
        if kind == ARRAY:
            return "s" if self.types[self.resolve(extra[0])][1] == "char" else "b"
        return "b"

    def flatten(self, tid: int, base_bits: int, prefix: str, out: dict[str, tuple]) -> None:
        tid = self.resolve(tid)
        kind, _n, _size, kflag, _vlen, members = self.types[tid]
        for name_off, mtype, offset in members:
            mname = self.name(name_off)
            bits = offset & 0xFFFFFF if kflag else offset
            bitsize = offset >> 24 if kflag else 0
            mres = self.resolve(mtype)
            mkind = self.types[mres][0]
            abs_bits = base_bits + bits
            if mkind in (STRUCT, UNION) and not bitsize:
                self.flatten(mres, abs_bits, f"{prefix}{mname}." if mname else prefix, out)
                continue
            full = prefix + mname
            if full in out:
                prev = out[full]
                if prev[0] * 8 + prev[2] == abs_bits:
                    continue  # same field reached through two union arms
                raise SystemExit(f"duplicate field {full}")
            if bitsize:
                size = self.size(mres)
                start = (abs_bits // (size * 8)) * size
                out[full] = (start, size, abs_bits - start * 8, bitsize, "u")
            else:
                out[full] = (abs_bits // 8, self.size(mres), 0, 0, self.kind_code(mres))


def first_leaf(btf: Btf, tid: int) -> str:
    tid = btf.resolve(tid)
    _k, _n, _s, _f, _v, members = btf.types[tid]
    name_off, mtype, _off = members[0]
    name = btf.name(name_off)
    mres = btf.resolve(mtype)
    if btf.types[mres][0] in (STRUCT, UNION) and not name:
        return first_leaf(btf, mres)
    return name


def layouts(btf: Btf) -> dict[str, tuple[int, dict[str, tuple]]]:
    result: dict[str, tuple[int, dict[str, tuple]]] = {}
    attr = btf.find(UNION, "bpf_attr")
    for name_off, mtype, _off in btf.types[attr][5]:
        name = btf.name(name_off)
        if not name:
            leaf = first_leaf(btf, mtype)
            if leaf not in ANON_ATTR_NAMES:
                raise SystemExit(f"unknown anonymous member of union bpf_attr starting with {leaf}")
            name = ANON_ATTR_NAMES[leaf]
        fields: dict[str, tuple] = {}
        btf.flatten(mtype, 0, "", fields)
        result[name] = (btf.size(mtype), fields)
    for cname, pyname in INFO_STRUCTS.items():
        tid = btf.find(STRUCT, cname)
        fields = {}
        btf.flatten(tid, 0, "", fields)
        result[pyname] = (btf.size(tid), fields)
    return result


def enums(btf: Btf) -> tuple[dict[str, list[tuple[str, int]]], list[tuple[str, int]]]:
    named: dict[str, list[tuple[str, int]]] = {}
    flags: list[tuple[str, int]] = []
    seen: set[str] = set()
    for t in btf.types:
        if t[0] not in (ENUM, ENUM64):
            continue
        members = [(btf.name(n), v) for n, v in t[5]]
        if t[1] in ENUMS and t[1] not in named:
            named[t[1]] = members
        elif not t[1] and any(m[0] in FLAG_ENUM_MARKERS for m in members):
            for m in members:
                if m[0] not in seen:
                    seen.add(m[0])
                    flags.append(m)
    return named, flags


def main() -> None:
    with open(VMLINUX, "rb") as f:
        btf = Btf(f.read())
    lay = layouts(btf)
    named, flags = enums(btf)
    w = sys.stdout.write
    w('"""bpf() attribute layouts and constants. GENERATED by gen_attrs_table.py: do not edit.\n\n')
    w("Source: the BTF of the running kernel (union bpf_attr, struct bpf_*_info, enum bpf_*).\n")
    w("LAYOUTS maps a layout name to (size, {field: (offset, size, bit, bits, code)}) where code\n")
    w("is 'u' unsigned, 'i' signed, 's' char array, 'b' other bytes; bits > 0 marks a bitfield.\n")
    w('"""\n# ruff: noqa: E501\n\n')
    w("LAYOUTS: dict[str, tuple[int, dict[str, tuple[int, int, int, int, str]]]] = {\n")
    for name, (size, fields) in lay.items():
        w(f"    {name!r}: ({size}, {{\n")
        for fname, spec in fields.items():
            w(f"        {fname!r}: {spec!r},\n")
        w("    }),\n")
    w("}\n\n")
    for cname, (pyname, prefix) in ENUMS.items():
        w(f"#: enum {cname}: name without {prefix!r}, lower case -> value\n")
        w(f"{pyname}: dict[str, int] = {{\n")
        for mname, value in named.get(cname, []):
            if mname.startswith("__") or mname.startswith("MAX_"):
                continue
            short = mname[len(prefix):] if mname.startswith(prefix) else mname
            w(f"    {short.lower()!r}: {value},\n")
        w("}\n\n")
    w("#: Anonymous enums of flag constants (BPF_ANY, BPF_F_*...), kernel names.\n")
    w("FLAGS: dict[str, int] = {\n")
    for mname, value in flags:
        w(f"    {mname!r}: {value},\n")
    w("}\n")


if __name__ == "__main__":
    main()
