"""``pybpf features``: what the running kernel supports, found by trying (cached per run).

::

    pybpf features                      # program types and map types, one line each
    pybpf features --helpers xdp        # the helpers an XDP program may call
    pybpf features --json

Answers come from `pybpf.kernel.features`, which loads minimal programs and creates
minimal maps; it needs root (bpf()).
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("features", help="probe what the running kernel supports",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("--helpers", metavar="PROG_TYPE",
                   help="list the helpers programs of this type may call")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)

    from ..kernel import features as f
    from ..kernel.caps import ALL_BPF, require
    from ..uapi import MAP_TYPES, PROG_TYPES

    # an EPERM would read as "known but refused": say what is missing instead
    require("probing the kernel (pybpf features)", ALL_BPF)

    doc: dict[str, object] = {"kernel": f.kernel_release()}
    if args.helpers:
        doc["prog_type"] = args.helpers
        doc["helpers"] = f.helpers_for(args.helpers)
    else:
        doc["prog_types"] = {name: bool(f.prog_type_support(name)) for name in PROG_TYPES
                             if name != "unspec"}
        doc["map_types"] = {name: bool(f.map_type_support(name)) for name in MAP_TYPES
                            if name != "unspec"}
    if args.json:
        print(json.dumps(doc))
        return 0
    print(f"kernel {doc['kernel']}")
    if args.helpers:
        helpers = doc["helpers"]
        assert isinstance(helpers, list)
        print(f"{len(helpers)} helpers callable from {args.helpers} programs:")
        for name in helpers:
            print(f"  {name}")
        return 0
    for what in ("prog_types", "map_types"):
        table = doc[what]
        assert isinstance(table, dict)
        yes = [n for n, ok in table.items() if ok]
        no = [n for n, ok in table.items() if not ok]
        print(f"{what.replace('_', ' ')}: {len(yes)} supported")
        print("  yes: " + ", ".join(yes))
        if no:
            print("  no:  " + ", ".join(no))
    return 0
