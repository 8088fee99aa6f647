"""Hash map throughput from user space: pybpf vs BCC's table API.

A 100,000-entry ``BPF_MAP_TYPE_HASH`` (u32 key, u64 value) is filled, read and
walked from Python by both libraries:

- pybpf: `HashMap` with ``key_type=int, value_type=int`` (single-key ``m[k]``),
  and the batch calls (``update_batch_raw``; ``lookup_batch`` decoded to a dict, and
  ``lookup_batch_arrays`` into numpy arrays when numpy is present);
- BCC: ``/usr/bin/python3`` (Debian's python3-bpfcc, the only interpreter that
  imports it) creates its map with ``BPF(text="BPF_HASH(...)")`` and uses
  ``table[Key(k)] = Leaf(v)``, ``table[Key(k)]``, ``table.items()`` and its
  batch calls ``items_update_batch``/``items_lookup_batch``.

Figures (one JSON line each; ratio > 1 means pybpf is better):
``updates_per_s``, ``lookups_per_s``, ``iterate_s`` (items(), key by key),
``iterate_batch_s`` (pybpf batch vs BCC items(): the table API), and
``iterate_batch_vs_bcc_batch_s``, ``update_batch_per_s`` (batch vs batch).

BCC runs in a ``/usr/bin/python3`` subprocess that times one operation per request; the
two sides are measured alternately, round after round, so both see the same machine load
(the machine is shared), and each figure is the best of its rounds (``--repeat``, at
least 7 for the short batch calls).

Run as root: ``.venv/bin/python benchmarks/maps.py [--entries N] [--repeat R]``.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import bcc_env, emit, skip  # noqa: E402

from pybpf.isa import MapSpec  # noqa: E402
from pybpf.kernel.maps import HashMap  # noqa: E402

BENCH = "maps"
BCC_PYTHON = "/usr/bin/python3"

BCC_SCRIPT = r'''
import json, sys, time
from bcc import BPF
n = int(sys.argv[1])
b = BPF(text="BPF_HASH(h, u32, u64, %d);" % n)
t = b["h"]
K, L = t.Key, t.Leaf
keys = (K * n)(*range(n))
vals = (L * n)(*(i * 3 for i in range(n)))
def upd():
    for i in range(n):
        t[K(i)] = L(i * 3)
def look():
    for i in range(n):
        t[K(i)]
def it():
    assert len({k.value: v.value for k, v in t.items()}) == n
def updb():
    t.items_update_batch(keys, vals)
def itb():
    d = {getattr(k, "value", k): getattr(v, "value", v) for k, v in t.items_lookup_batch()}
    assert len(d) == n
ops = {"update": upd, "lookup": look, "iterate": it, "update_batch": updb, "iterate_batch": itb}
print("ready", flush=True)
for line in sys.stdin:
    try:
        start = time.perf_counter()
        ops[line.strip()]()
        print(json.dumps({"s": time.perf_counter() - start}), flush=True)
    except Exception as e:
        print(json.dumps({"error": repr(e)}), flush=True)
'''


def pybpf_ops(m: HashMap, n: int) -> dict[str, Callable[[], None]]:
    """The pybpf side of each measured operation."""
    keys = struct.pack(f"<{n}I", *range(n))
    vals = struct.pack(f"<{n}Q", *(i * 3 for i in range(n)))

    def upd() -> None:
        for i in range(n):
            m[i] = i * 3

    def look() -> None:
        for i in range(n):
            m[i]

    def it() -> None:
        assert len(dict(m.items())) == n

    def updb() -> None:
        assert m.update_batch_raw(keys, vals, n) == n

    def itb() -> None:
        assert len(dict(m.lookup_batch(batch_size=n))) == n

    def itn() -> None:
        import numpy  # noqa: F401 - ImportError here skips the figure

        k, v = m.lookup_batch_arrays(batch_size=n)
        assert len(k) == len(v) == n

    return {"update": upd, "lookup": look, "iterate": it, "update_batch": updb, "iterate_batch": itb,
            "iterate_batch_numpy": itn}





class BccPeer:
    """The BCC side: a subprocess timing one operation per request."""

    def __init__(self, n: int, workdir: Path) -> None:
        self.proc = subprocess.Popen([BCC_PYTHON, "-c", BCC_SCRIPT, str(n)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=bcc_env(workdir))
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            err = self.proc.stderr.read() if self.proc.stderr else ""
            self.proc.wait()
            raise RuntimeError(f"BCC did not start: {err.strip()[-300:]}")

    def time(self, op: str) -> float:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(op + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"BCC {op}: {reply['error']}")
        return float(reply["s"])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.entries
    if os.geteuid() != 0 or not os.path.exists(BCC_PYTHON):
        skip(BENCH, "all", "needs root and /usr/bin/python3 with python3-bpfcc")
        return 0
    ours: dict[str, float] = {}
    peer: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="pybpf-bench-maps-") as tmp, \
            HashMap.create(MapSpec(name="bench", key_size=4, value_size=8, max_entries=n, key_type=int, value_type=int)) as m:
        try:
            bcc = BccPeer(n, Path(tmp))
        except (OSError, RuntimeError) as e:
            skip(BENCH, "all", str(e))
            return 0
        ops = pybpf_ops(m, n)
        try:
            for op in ("update", "lookup", "iterate", "update_batch", "iterate_batch"):
                rounds = args.repeat if op in ("update", "lookup", "iterate") else max(args.repeat, 7)
                for _ in range(rounds):  # alternate the sides: both see the same load
                    ours[op] = min(ours.get(op, float("inf")), timed(ops[op]))
                    peer[op] = min(peer.get(op, float("inf")), bcc.time(op))
            try:
                ours["iterate_batch_numpy"] = min(timed(ops["iterate_batch_numpy"]) for _ in range(7))
            except ImportError:
                pass
        finally:
            bcc.close()
        assert m[n - 1] == (n - 1) * 3
    emit(BENCH, "updates_per_s", n / ours["update"], "bcc", n / peer["update"], lower_is_better=False,
         entries=n, note="m[k] = v vs table[Key(k)] = Leaf(v)")
    emit(BENCH, "lookups_per_s", n / ours["lookup"], "bcc", n / peer["lookup"], lower_is_better=False,
         entries=n, note="m[k] vs table[Key(k)]")
    emit(BENCH, "iterate_s", ours["iterate"], "bcc", peer["iterate"], entries=n,
         note="dict(m.items()) vs table.items(), key by key")
    emit(BENCH, "iterate_batch_s", ours["iterate_batch"], "bcc", peer["iterate"], entries=n,
         note="pybpf dict(m.lookup_batch()) vs BCC table.items() (the table API)")
    if "iterate_batch_numpy" in ours:
        emit(BENCH, "iterate_batch_numpy_s", ours["iterate_batch_numpy"], "bcc", peer["iterate"],
             entries=n, note="pybpf m.lookup_batch_arrays() (numpy) vs BCC table.items()")
    emit(BENCH, "iterate_batch_vs_bcc_batch_s", ours["iterate_batch"], "bcc", peer["iterate_batch"],
         entries=n, note="dict(m.lookup_batch()) vs a dict of BCC items_lookup_batch()")
    emit(BENCH, "update_batch_per_s", n / ours["update_batch"], "bcc", n / peer["update_batch"],
         lower_is_better=False, entries=n, note="update_batch_raw vs BCC items_update_batch()")
    return 0


if __name__ == "__main__":
    sys.exit(main())
