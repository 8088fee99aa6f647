"""What a kernel image answered, kept: a batch's units replayed only when new.

A kernel's answer to a program (its verdict and log, a map it could or could not create, its
BTF) is a fact of the kernel image and of the bytes the loader sent. `run` therefore keeps
every unit's results (`batch.Batch.units`: a program with its maps and BTF, a map probe, a
file dump) in a file per kernel image, keyed by

- the image: the SHA-256 of the guest's ``vmlinuz`` (for the running kernel, its release and
  a hash of ``/proc/version``, `pybpf.verifier.kernel_profile.running_kernel_key`), with the
  hash of the loader's source (a fixed loader may answer otherwise);
- each unit: the SHA-256 of its encoded records (instructions, attributes, maps, BTF, log
  size...): a changed program is a new unit.

Only the units the file does not hold are loaded, in one boot; units named ``live`` are loaded
on every run, so every run boots each kernel and checks that it still answers as recorded.
The files live in ``<vmtest cache>/verdicts/`` (gzip'd JSON); ``PYBPF_VMTEST_NO_CACHE=1``
replays everything (and rewrites them).

>>> Outcome(3, 2, 1.5).summary()
'3 units loaded in the kernel, 2 from the cache of its image (1.5 s)'
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import vm
from .batch import Batch, Result, decode_results

#: the results of a cache file's layout; bump when it changes
_SCHEMA = 1


@dataclass
class Outcome:
    """How a cached run went: units loaded in the kernel (boot or replay), units answered from
    the cache, the boot's (or replay's) seconds (0 when nothing needed one)."""

    loaded: int
    cached: int
    seconds: float

    def summary(self) -> str:
        return (f"{self.loaded} units loaded in the kernel, {self.cached} from the cache of its "
                f"image ({self.seconds:.1f} s)")


def image_key(kernel: str) -> str:
    """The identity of ``kernel``'s build: the SHA-256 of its vmlinuz (a guest), or
    ``running_kernel_key()`` (``native``)."""
    if kernel == vm.NATIVE:
        from pybpf.verifier.kernel_profile import running_kernel_key

        return running_kernel_key()
    image = vm.kernel_image(vm.KERNELS[kernel])
    st = image.stat()
    memo = image.with_name(f"{image.name}.sha256")
    stamp = f"{st.st_size}:{st.st_mtime_ns}"
    try:
        saved_stamp, digest = memo.read_text().split()
        if saved_stamp == stamp:
            return digest
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    memo.write_text(f"{stamp} {digest}\n")
    return digest


def _loader_hash() -> str:
    return hashlib.sha256((vm.HERE / "loader.c").read_bytes()).hexdigest()[:16]


def cache_file(kernel: str) -> Path:
    """The file of ``kernel``'s image (``<vmtest cache>/verdicts/NAME-IMAGE-LOADER.json.gz``)."""
    key = image_key(kernel)
    safe = key if kernel == vm.NATIVE else key[:32]
    return vm.cache_dir() / "verdicts" / f"{kernel}-{safe}-{_loader_hash()}.json.gz"


def _unit_hash(b: Batch, start: int, end: int) -> str:
    return hashlib.sha256(b"".join(r.encode() for r in b.records[start:end])).hexdigest()


def _load(path: Path) -> dict:
    try:
        with gzip.open(path, "rt") as f:
            doc = json.load(f)
        if doc.get("schema") == _SCHEMA:
            return doc
    except (OSError, ValueError, EOFError):
        pass
    return {"schema": _SCHEMA, "release": "", "units": {}}


def _save(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with gzip.open(tmp, "wt", compresslevel=6) as f:
        json.dump(doc, f, separators=(",", ":"))
    tmp.replace(path)


def _encode(res: Result, unit: str) -> list:
    if unit.startswith("dump:") and res.ret == 0 and res.data:
        # a kernel's BTF goes to the BTF cache (by its hash), not into the file
        from pybpf.verifier.kernel_profile import store_btf

        return [res.ret, res.errno, "", store_btf(res.data).stem]
    return [res.ret, res.errno, res.data.decode("latin-1")]


def _decode(rec: list) -> Result | None:
    if len(rec) > 3:  # a dump kept in the BTF cache
        from pybpf.verifier.kernel_profile import btf_cache_dir

        try:
            return Result(rec[0], rec[1], (btf_cache_dir() / f"{rec[3]}.btf").read_bytes())
        except OSError:
            return None
    return Result(rec[0], rec[1], rec[2].encode("latin-1"))


def run(kernel: str, b: Batch, *, live: Iterable[str] = ()) -> tuple[vm.Run, dict[int, Result], Outcome]:
    """The results of every record of ``b`` on ``kernel`` (a name of `vm.KERNELS`, or
    ``native``), loading into the kernel only the units its image has not answered yet and
    those named in ``live``. Returns the run (the boot's, or one made of the cache with 0 s
    when nothing needed a boot), the results by record index and how it went."""
    path = cache_file(kernel)
    fresh = os.environ.get("PYBPF_VMTEST_NO_CACHE") == "1"
    doc = {"schema": _SCHEMA, "release": "", "units": {}} if fresh else _load(path)
    units: dict[str, dict] = doc["units"]
    live = set(live)
    results: dict[int, Result] = {}
    todo: list[tuple[str, int, int, str]] = []
    for key, (start, end) in b.units.items():
        h = _unit_hash(b, start, end)
        hit = units.get(h)
        decoded = None if hit is None else {int(i): _decode(r) for i, r in hit.items()}
        if key in live or decoded is None or any(r is None for r in decoded.values()):
            todo.append((key, start, end, h))
            continue
        results.update({start + i: r for i, r in decoded.items() if r is not None})
    seconds = 0.0
    if todo:
        sub = Batch()
        where: dict[int, int] = {}
        for _key, start, end, _h in todo:
            for i in range(start, end):
                where[len(sub.records)] = i
                sub.records.append(b.records[i])
        r = vm.run_native(sub.encode()) if kernel == vm.NATIVE else vm.run_qemu(vm.KERNELS[kernel], sub.encode())
        got = {where[j]: res for j, res in decode_results(r.results).items()}
        results.update(got)
        for key, start, end, h in todo:
            units[h] = {str(i - start): _encode(got[i], key) for i in range(start, end) if i in got}
        doc["release"] = r.release
        seconds = r.seconds
        _save(path, doc)
        run_ = r
    else:
        run_ = vm.Run(kernel, doc["release"], b"", "(every unit answered from the cache)", 0.0)
    return run_, results, Outcome(len(todo), len(b.units) - len(todo), seconds)
