"""``pybpf conformance DIR``: run bpf_conformance vectors and print a table.

``--runtime vm`` (default) runs them in the userspace VM; ``--runtime kernel``
runs them on the live kernel through ``BPF_PROG_TEST_RUN`` (needs root; see
`pybpf.kernel.oracle` for how the vector's convention is expressed in XDP).
``--markdown`` runs both and prints the side-by-side table of docs/conformance.md.
``--json`` prints ``{"passed", "failed", "skipped", "results": [{"name",
"status", "expected", "got", "reason"}]}``. The exit code is 1 when a vector
fails.

    $ pybpf conformance ../shared/conformance/bpf_conformance/tests
"""

from __future__ import annotations

import argparse

from ..errors import PybpfError

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any


def _num(v: int | None) -> str:
    return "-" if v is None else f"{v:#x}"


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path  # lazy: start-up (pybpf --help imports every command)

    from ..conformance.runner import compare_directory, markdown, run_directory, summary

    if not Path(args.dir).is_dir():
        raise PybpfError(f"{args.dir}: not a directory of .data vectors")
    if args.runtime == "kernel" or args.markdown:  # vectors run as XDP programs
        from ..kernel.caps import require

        require(f"running the vectors of {args.dir} on the kernel", prog_types=["xdp"])
    if args.markdown:
        rows = compare_directory(args.dir)
        print(markdown(rows), end="")
        return 1 if any("fail" in (r.vm.status, r.kernel.status) for r in rows) else 0
    outcomes = run_directory(args.dir, args.runtime)
    doc = summary(outcomes)
    if args.json:
        print(json.dumps(doc))
    else:
        width = max((len(o.name) for o in outcomes), default=4)
        print(f"{'vector':<{width}}  {'status':<6}  {'expected':>18}  {'got':>18}  reason")
        for o in outcomes:
            print(f"{o.name:<{width}}  {o.status:<6}  {_num(o.expected):>18}  {_num(o.got):>18}  "
                  f"{o.reason}")
        print(f"\n{doc['passed']} passed, {doc['failed']} failed, {doc['skipped']} skipped "
              f"({args.runtime})")
    return 1 if doc["failed"] else 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("conformance", help="run bpf_conformance test vectors",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", help="directory of .data vectors")
    p.add_argument("--runtime", choices=("vm", "kernel"), default="vm")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--markdown", action="store_true",
                   help="run on the VM and the kernel and print the side-by-side Markdown "
                   "table of docs/conformance.md")
    p.set_defaults(func=run)
