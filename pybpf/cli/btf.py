"""``pybpf btf``: dump BTF as C (vmlinux.h), as bpftool's raw listing, or as JSON.

    pybpf btf dump                               # /sys/kernel/btf/vmlinux as C
    pybpf btf dump --format raw prog.bpf.o       # an object's .BTF, bpftool's text
    pybpf btf dump --json /sys/kernel/btf/vmlinux
    pybpf btf find task_struct --kind struct
"""
from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from ..btf import Btf

#: the running kernel's BTF (`pybpf.btf.parse.VMLINUX_PATH`, spelled here so that the BTF
#: parser loads with the command, not with ``pybpf --help``)
VMLINUX_PATH = "/sys/kernel/btf/vmlinux"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("btf", help="inspect BTF (dump as C/raw/JSON, find types)")
    sub = p.add_subparsers(dest="btf_command", metavar="ACTION")
    d = sub.add_parser("dump", help="print every type of a BTF file or object")
    d.add_argument("file", nargs="?", default=VMLINUX_PATH,
                   help="raw BTF file or BPF ELF object (default: %(default)s)")
    d.add_argument("--format", choices=("c", "raw", "json"), default=None,
                   help="c (vmlinux.h, default), raw (bpftool's text) or json (bpftool -j)")
    d.add_argument("--json", action="store_true", help="same as --format json")
    d.add_argument("--enum-modes", action="store_true",
                   help="C: add newer libbpf's mode(byte)/mode(word) to 1- and 8-byte enums, so structs "
                   "after them keep the kernel's layout (bpftool 7.1 omits them)")
    d.add_argument("--base", help="base BTF for split (module) BTF, e.g. /sys/kernel/btf/vmlinux")
    d.set_defaults(func=_dump)
    f = sub.add_parser("find", help="print the type id of a named type")
    f.add_argument("name")
    f.add_argument("--kind", help="struct, union, typedef, func, enum...")
    f.add_argument("--file", default=VMLINUX_PATH)
    f.add_argument("--json", action="store_true", help="print one JSON document")
    f.set_defaults(func=_find)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _open(path: str, base: str | None = None) -> Btf:
    from ..btf import vmlinux
    from ..btf.objfile import load_any

    if path == VMLINUX_PATH and base is None:
        return vmlinux()
    return load_any(path, base=_open(base) if base else None)


def _dump(args: argparse.Namespace) -> int:
    fmt = "json" if args.json else (args.format or "c")
    btf = _open(args.file, args.base)
    out = sys.stdout
    if hasattr(out, "reconfigure"):  # names that are not UTF-8 are written back as their bytes
        out.reconfigure(errors="surrogateescape")
    if fmt == "c":
        from ..btf.cprint import write_c

        write_c(btf, out, enum_modes=args.enum_modes)
    elif fmt == "raw":
        from ..btf.dump import raw_lines

        out.write("".join(line + "\n" for line in raw_lines(btf)))
    else:
        import json

        from ..btf.dump import json_types

        json.dump(json_types(btf), out)
        out.write("\n")
    return 0


def _find(args: argparse.Namespace) -> int:
    btf = _open(args.file)
    tid = btf.find(args.name, args.kind)
    if args.json:
        import json

        print(json.dumps({"name": args.name, "id": tid, "kind": btf.kind(tid).name.lower()}))
    else:
        print(tid)
    return 0
