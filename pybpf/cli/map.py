"""``pybpf map``: list the kernel's maps, or show one map's definition and contents.

::

    pybpf map                                # every map: id, type, name, sizes
    pybpf map 42                             # map id 42: info and entries (hex)
    pybpf map /sys/fs/bpf/counts --json      # a pinned map, as one JSON document

Entries are printed as hex key/value pairs (per-CPU values: one value per CPU);
``--max N`` bounds how many are read (default 1000).
"""

from __future__ import annotations

import argparse
import errno
from collections.abc import Iterator

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("map", help="list maps, or show one map's info and entries",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("map", nargs="?", metavar="ID|PINNED_PATH", help="a map id or a bpffs path")
    p.add_argument("--max", type=int, default=1000, help="entries to read at most")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def map_ids() -> Iterator[int]:
    """Every map id in the system (BPF_MAP_GET_NEXT_ID)."""
    from .. import uapi as attrs
    from ..errors import KernelError
    from ..kernel.syscall import Cmd, bpf

    start = 0
    while True:
        attr = attrs.GET_ID.new(start_id=start)
        try:
            bpf(Cmd.MAP_GET_NEXT_ID, attr)
        except KernelError as e:
            if e.errno == errno.ENOENT:
                return
            raise
        start = int(attrs.GET_ID.get(attr, "next_id"))
        yield start


def _info(m: Any) -> dict[str, Any]:
    i = m.info()
    return {"id": i.id, "name": i.name, "type": i.type, "key_size": i.key_size,
            "value_size": i.value_size, "max_entries": i.max_entries, "flags": i.flags}


def run(args: argparse.Namespace) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)

    from ..errors import KernelError
    from ..kernel.caps import require
    from ..kernel.maps import Map

    require("reading the kernel's maps (pybpf map)")

    if args.map is None:
        rows = []
        for mid in map_ids():
            try:
                with Map.from_id(mid) as m:
                    rows.append(_info(m))
            except KernelError:  # gone meanwhile
                continue
        if args.json:
            print(json.dumps({"maps": rows}))
        else:
            for r in rows:
                print(f"{r['id']:>7}  {r['type']:<18} {r['name']:<16} key {r['key_size']}B  "
                      f"value {r['value_size']}B  max_entries {r['max_entries']}")
        return 0
    target = args.map
    m = Map.from_id(int(target)) if target.isdigit() else Map.from_pinned(target)
    with m:
        doc = _info(m)
        entries = []
        if doc["key_size"]:
            for n, key in enumerate(m.keys_raw()):
                if n >= args.max:
                    break
                value = m.lookup_raw(key)
                if value is None:
                    continue
                vals = value if isinstance(value, list) else [value]
                entries.append({"key": bytes(key).hex(), "value": [bytes(v).hex() for v in vals]
                                if isinstance(value, list) else bytes(value).hex()})
        doc["entries"] = entries
    if args.json:
        print(json.dumps(doc))
        return 0
    print(f"map {doc['id']} {doc['name']!r}: {doc['type']}, key {doc['key_size']}B, value "
          f"{doc['value_size']}B, max_entries {doc['max_entries']}, flags {doc['flags']:#x}")
    for e in entries:
        print(f"  {e['key']}: {e['value']}")
    if not doc["key_size"]:
        print("  (no keys: a queue, stack, ring buffer or similar)")
    return 0
