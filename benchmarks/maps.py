"""Hash map throughput from user space: pybpf vs BCC's table API.

A 100,000-entry ``BPF_MAP_TYPE_HASH`` (u32 key, u64 value) is filled, read and
walked from Python by both libraries:

- pybpf: `HashMap` with ``key_type=int, value_type=int`` (single-key ``m[k]``),
  and the batch calls (``update_batch_raw``/``lookup_batch_raw``, decoded with
  ``struct``, and with numpy when present);
- BCC: ``/usr/bin/python3`` (Debian's python3-bpfcc, the only interpreter that
  imports it) creates its map with ``BPF(text="BPF_HASH(...)")`` and uses
  ``table[Key(k)] = Leaf(v)``, ``table[Key(k)]``, ``table.items()`` and its
  batch calls ``items_update_batch``/``items_lookup_batch``.

Figures (one JSON line each; ratio > 1 means pybpf is better):
``updates_per_s``, ``lookups_per_s``, ``iterate_s`` (items(), key by key),
``iterate_batch_s`` (pybpf batch vs BCC items(): the table API), and
``iterate_batch_vs_bcc_batch_s``, ``update_batch_per_s`` (batch vs batch).

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import emit, skip  # noqa: E402

from pybpf.kernel.maps import HashMap  # noqa: E402

BENCH = "maps"
BCC_PYTHON = "/usr/bin/python3"

BCC_SCRIPT = r'''
import ctypes, json, sys, time
from bcc import BPF
n, repeat = int(sys.argv[1]), int(sys.argv[2])
b = BPF(text="BPF_HASH(h, u32, u64, %d);" % n)
t = b["h"]
K, L = t.Key, t.Leaf
def best(fn):
    out = float("inf")
    for _ in range(repeat):
        s = time.perf_counter(); fn(); out = min(out, time.perf_counter() - s)
    return out
def upd():
    for i in range(n):
        t[K(i)] = L(i * 3)
def look():
    for i in range(n):
        t[K(i)]
def it():
    d = {k.value: v.value for k, v in t.items()}
    assert len(d) == n
res = {"update_s": best(upd), "lookup_s": best(look), "iterate_s": best(it)}
keys = (K * n)(*range(n)); vals = (L * n)(*(i * 3 for i in range(n)))
try:
    res["update_batch_s"] = best(lambda: t.items_update_batch(keys, vals))
    def itb():
        d = {getattr(k, "value", k): getattr(v, "value", v) for k, v in t.items_lookup_batch()}
        assert len(d) == n
    res["iterate_batch_s"] = best(itb)
except Exception as e:  # older BCC or kernel: no batch
    res["batch_error"] = repr(e)
print(json.dumps(res))
'''


def best(fn, repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - start)
    return out


def measure_pybpf(n: int, repeat: int) -> dict[str, float]:
    res: dict[str, float] = {}
    with HashMap.create(key_type=int, key_size=4, value_type=int, value_size=8, max_entries=n,
                        name="bench") as m:
        def upd() -> None:
            for i in range(n):
                m[i] = i * 3

        def look() -> None:
            for i in range(n):
                m[i]

        def it() -> None:
            d = dict(m.items())
            assert len(d) == n

        keys = struct.pack(f"<{n}I", *range(n))
        vals = struct.pack(f"<{n}Q", *(i * 3 for i in range(n)))

        def updb() -> None:
            assert m.update_batch_raw(keys, vals, n) == n

        def itb() -> None:
            d = dict(m.lookup_batch(batch_size=n))
            assert len(d) == n

        res["update_s"] = best(upd, repeat)
        res["lookup_s"] = best(look, repeat)
        res["iterate_s"] = best(it, repeat)
        res["update_batch_s"] = best(updb, repeat)
        res["iterate_batch_s"] = best(itb, repeat)
        try:
            import numpy as np

            def itn() -> None:
                kraw, vraw, count = m.lookup_batch_raw(batch_size=n)
                k = np.frombuffer(kraw, "<u4")
                v = np.frombuffer(vraw, "<u8")
                assert len(k) == len(v) == n

            res["iterate_batch_numpy_s"] = best(itn, repeat)
        except ImportError:
            pass
        assert m[n - 1] == (n - 1) * 3
    return res


def _link_union(sources: list[Path], dest: Path) -> None:
    """Symlink the union of the ``sources`` trees into ``dest`` (shared directories merged)."""
    dest.mkdir(parents=True, exist_ok=True)
    names: dict[str, list[Path]] = {}
    for src in sources:
        for entry in src.iterdir():
            names.setdefault(entry.name, []).append(entry)
    for name, entries in names.items():
        dirs = [e for e in entries if e.is_dir() and not e.is_symlink()]
        if len(dirs) > 1:
            _link_union(dirs, dest / name)
        else:
            (dest / name).symlink_to(entries[-1].resolve())


def bcc_env(workdir: Path) -> dict[str, str]:
    """BCC compiles even a bare map declaration against kernel headers; this kernel ships
    none, so point BCC_KERNEL_SOURCE at Debian's linux-headers (arch + common parts merged)."""
    env = dict(os.environ)
    if Path(f"/lib/modules/{os.uname().release}/build").exists() or "BCC_KERNEL_SOURCE" in env:
        return env
    builds = sorted(Path("/usr/src").glob("linux-headers-*-amd64"))
    if builds:
        common = builds[-1].with_name(builds[-1].name[:-len("amd64")] + "common")
        tree = workdir / "kernel-headers"
        _link_union([common, builds[-1]] if common.is_dir() else [builds[-1]], tree)
        env["BCC_KERNEL_SOURCE"] = str(tree)
    return env


def measure_bcc(n: int, repeat: int) -> dict[str, float] | str:
    if os.geteuid() != 0:
        return "needs root"
    if not os.path.exists(BCC_PYTHON):
        return f"{BCC_PYTHON} missing"
    with tempfile.TemporaryDirectory(prefix="pybpf-bench-maps-") as tmp:
        proc = subprocess.run([BCC_PYTHON, "-c", BCC_SCRIPT, str(n), str(repeat)], capture_output=True,
                              text=True, timeout=600, env=bcc_env(Path(tmp)))
    if proc.returncode:
        return f"BCC run failed: {proc.stderr.strip()[-300:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.entries
    ours = measure_pybpf(n, args.repeat)
    peer = measure_bcc(n, args.repeat)
    if isinstance(peer, str):
        for metric in ("updates_per_s", "lookups_per_s", "iterate_s", "iterate_batch_s"):
            skip(BENCH, metric, peer)
        return 0
    emit(BENCH, "updates_per_s", n / ours["update_s"], "bcc", n / peer["update_s"],
         lower_is_better=False, entries=n)
    emit(BENCH, "lookups_per_s", n / ours["lookup_s"], "bcc", n / peer["lookup_s"],
         lower_is_better=False, entries=n)
    emit(BENCH, "iterate_s", ours["iterate_s"], "bcc", peer["iterate_s"], entries=n,
         note="items(), key by key, both sides")
    emit(BENCH, "iterate_batch_s", ours["iterate_batch_s"], "bcc", peer["iterate_s"], entries=n,
         note="pybpf lookup_batch (decoded to a dict) vs BCC table.items()")
    if "iterate_batch_numpy_s" in ours:
        emit(BENCH, "iterate_batch_numpy_s", ours["iterate_batch_numpy_s"], "bcc", peer["iterate_s"],
             entries=n, note="pybpf lookup_batch into numpy arrays vs BCC table.items()")
    if "iterate_batch_s" in peer:
        emit(BENCH, "iterate_batch_vs_bcc_batch_s", ours["iterate_batch_s"], "bcc",
             peer["iterate_batch_s"], entries=n, note="batch vs BCC items_lookup_batch()")
        emit(BENCH, "update_batch_per_s", n / ours["update_batch_s"], "bcc", n / peer["update_batch_s"],
             lower_is_better=False, entries=n, note="batch vs BCC items_update_batch()")
    else:
        skip(BENCH, "iterate_batch_vs_bcc_batch_s", peer.get("batch_error", "no BCC batch"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
