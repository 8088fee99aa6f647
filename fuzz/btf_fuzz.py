"""Mutation fuzzing of the BTF reader, C printer, listings, writer and .BTF.ext parser.

Every mutated input must give a result or a `BtfError` (which names the type id or the
offset); any other exception, or an input taking longer than ``--max-seconds``, is a
failure. Seeds are built with pybpf's own writer and cover every kind (bitfields, anon
members, enum64, func protos, datasec...), plus a ``.BTF.ext`` with every record kind.

    python fuzz/btf_fuzz.py [--examples N] [--seed S]     # hypothesis campaign
    python fuzz/btf_fuzz.py --duration 1800 [--seed S]    # timed: rounds of --examples
                                                          # (seeds S, S+1, ...), findings by class
    python fuzz/btf_fuzz.py --atheris [-max_total_time=600] [CORPUS]   # coverage-guided
                                                          # (pip install atheris)

CI runs a short campaign through tests/btf/test_fuzz.py.
"""
from __future__ import annotations

import argparse
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pybpf.btf import Btf, IntEncoding, Linkage  # noqa: E402
from pybpf.btf.cprint import CPrinter  # noqa: E402
from pybpf.btf.dump import json_type, type_lines  # noqa: E402
from pybpf.btf.ext import BtfExt, encode_ext  # noqa: E402
from pybpf.btf.writer import BtfBuilder, Features, copy_btf, sanitize  # noqa: E402
from pybpf.errors import BtfError  # noqa: E402


def seed_btf() -> tuple[bytes, bytes]:
    """A small BTF with every kind, and a matching .BTF.ext."""
    b = BtfBuilder()
    i32 = b.add_int("int", 4, IntEncoding.SIGNED)
    u8 = b.add_int("unsigned char", 1)
    b.add_int("_Bool", 1, IntEncoding.BOOL)
    f = b.add_float("double", 8)
    fwd = b.add_fwd("later")
    pfwd = b.add_ptr(fwd)
    e = b.add_enum("color", [("RED", 0), ("GREEN", -1)])
    e64 = b.add_enum("big", [("HUGE", 1 << 40)], 8)
    arr = b.add_array(u8, i32, 16)
    inner = b.add_struct("", 8, [("x", i32, 0), ("y", i32, 32)])
    s = b.add_struct("rec", 48, [("a", i32, 0, 3), ("b", i32, 3, 5), ("anon", inner, 32), ("c", e, 96),
                                 ("d", e64, 128), ("arr", arr, 192), ("p", pfwd, 320)])
    td = b.add_typedef("rec_t", s)
    c = b.add_const(td)
    v = b.add_volatile(c)
    r = b.add_restrict(b.add_ptr(v))
    tt = b.add_type_tag("user", i32)
    proto = b.add_func_proto(i32, [("r", r), ("t", b.add_ptr(tt)), ("", 0)])
    fn = b.add_func("handler", proto, Linkage.GLOBAL)
    b.add_decl_tag("kfunc", fn)
    b.add_union("u", 8, [("f", f, 0), ("i", i32, 0)])
    fp = b.add_ptr(b.add_func_proto(0, [("", i32)]))
    b.add_struct("ops", 8, [("cb", fp, 0)])
    var = b.add_var("counter", i32, Linkage.GLOBAL)
    b.add_datasec(".data", 4, [(var, 0, 4)])
    b.add_struct("rec", 4, [("dup", i32, 0)])  # a second "rec": printed as rec___2
    ext = encode_ext(b.add_string, func_info={"xdp": [(0, fn)]},
                     line_info={"xdp": [(0, "a.c", "int x = 1;", 3, 5), (8, "a.c", "return x;", 4, 2)]},
                     core_relos={"xdp": [(0, s, "0:1", 0), (8, td, "0", 9)]})
    return b.encode(), ext


class UnnamedError(AssertionError):
    """A BtfError that names neither a type id nor an offset."""


def _attempt(fn, *args):  # noqa: ANN001, ANN202 - any callable
    """Call ``fn``; a `BtfError` is fine if it names a type id or an offset."""
    try:
        return fn(*args)
    except BtfError as e:
        if e.type_id is None and e.offset is None:
            raise UnnamedError(f"BtfError without a type id or offset from {fn.__name__}: {e}") from e
        return None


def exercise(data: bytes, ext: bytes | None = None) -> int:
    """Run every consumer of BTF over ``data``; returns the number of types decoded.

    Raises only `BtfError` (naming a type id or offset) on bad input.
    """
    btf = Btf(data, name="fuzz")
    n = 0
    for tid in range(1, btf.nr_types):
        if _attempt(btf.__getitem__, tid) is not None:
            n += 1
        _attempt(type_lines, btf, tid)
        _attempt(json_type, btf, tid)
        _attempt(btf.resolve, tid)
        _attempt(btf.size_of, tid)
    _attempt(lambda: CPrinter(btf).dump())
    _attempt(lambda: Btf(sanitize(btf, Features.none())))
    _attempt(lambda: Btf(copy_btf(btf)))
    for name in ("rec", "int", "counter"):
        for tid in btf.find_all(name):
            try:
                btf.member(tid, "anon.x")
            except BtfError:
                pass  # "no member": a lookup result, not a malformed input
    if ext is not None:
        BtfExt(ext, btf)
    return n


_INTERESTING = [0, 1, 2, 3, 4, 7, 8, 12, 16, 24, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
                0xFFFFFFFF, 0x0D000001, 0x04000003, 0x84000002, 0x13000001, 0x03000000, 0x0C000002,
                0x14000000, 0x1F000000, 0x08000000, 0x0F00FFFF]


def mutate(blob: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    """Apply ``(op, position, value)`` mutations: 0 overwrite a u32, 1 flip a byte, 2 truncate,
    3 insert bytes, 4 overwrite a byte."""
    b = bytearray(blob)
    for op, pos, val in ops:
        if not b:
            break
        pos %= len(b)
        if op == 0:
            pos -= pos % 4
            b[pos:pos + 4] = struct.pack("<I", _INTERESTING[val % len(_INTERESTING)] if val < 1000 else val
                                         & 0xFFFFFFFF)
        elif op == 1:
            b[pos] ^= 1 << (val % 8)
        elif op == 2:
            del b[pos:]
        elif op == 3:
            b[pos:pos] = bytes([val & 0xFF]) * (1 + val % 8)
        else:
            b[pos] = val & 0xFF
    return bytes(b)


def check_one(blob: bytes, ext: bytes | None, max_seconds: float) -> None:
    start = time.process_time()  # CPU time: a starved campaign is not a slow parser
    try:
        exercise(blob, ext)
    except BtfError as e:
        if e.type_id is None and e.offset is None:
            raise AssertionError(f"BtfError without a type id or offset: {e}: {blob.hex()}") from e
    took = time.process_time() - start
    if took > max_seconds:
        raise AssertionError(f"input took {took:.2f}s of CPU (> {max_seconds}s): {blob.hex()}")


def campaign(examples: int, seed: int | None = None, max_seconds: float = 2.0) -> int:
    """Run a hypothesis campaign; returns the number of inputs tried."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    btf_seed, ext_seed = seed_btf()
    count = [0]
    op = st.tuples(st.integers(0, 4), st.integers(0, 1 << 20), st.integers(0, 1 << 33))

    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(op, min_size=1, max_size=6), st.booleans())
    def run(ops: list[tuple[int, int, int]], mutate_ext: bool) -> None:
        count[0] += 1
        if mutate_ext:
            check_one(btf_seed, mutate(ext_seed, ops), max_seconds)
        else:
            check_one(mutate(btf_seed, ops), ext_seed, max_seconds)

    if seed is not None:
        from hypothesis import seed as hseed

        run = hseed(seed)(run)
    run()
    return count[0]


def timed(duration: float, examples: int, seed: int, max_seconds: float) -> int:
    """Hypothesis rounds of ``examples`` inputs with seeds ``seed``, ``seed + 1``... until
    ``duration`` seconds have passed; a failing round files its (shrunk) failure by class
    (the message with hex data and numbers blanked) and the next round goes on."""
    import re

    start = time.perf_counter()
    total, rounds, classes = 0, 0, {}
    while time.perf_counter() - start < duration:
        try:
            total += campaign(examples, seed + rounds, max_seconds)
        except Exception as exc:  # noqa: BLE001 - a finding
            total += examples
            text = f"{type(exc).__name__}: {exc}".splitlines()[0]
            key = re.sub(r"[0-9a-f]{16,}|\d+", "N", text)
            classes.setdefault(key, [0, text])[0] += 1
        rounds += 1
    took = time.perf_counter() - start
    findings = sum(c for c, _ in classes.values())
    print(f"btf_fuzz: {total} inputs ({total / took:.1f}/s) in {rounds} rounds, "
          f"{findings} findings in {len(classes)} classes, {took:.0f}s (seeds {seed}..{seed + rounds - 1})")
    for key, (count, text) in classes.items():
        print(f"  {count} x {key}\n    first: {text[:400]}")
    return 1 if classes else 0


def atheris_main(argv: list[str]) -> None:  # pragma: no cover - optional tool
    """libFuzzer through atheris, coverage-guided over every pybpf module already imported.

    The first byte of an input picks the target (0: the .BTF.ext parser with the seed BTF,
    else: the BTF itself); the seeds are written to a corpus directory when none is given.
    Arguments after ``--atheris`` go to libFuzzer (``-max_total_time=600``, ``-runs=N``...).
    """
    import tempfile

    import atheris

    btf_seed, ext_seed = seed_btf()
    if not any(not a.startswith("-") for a in argv[1:]):  # no corpus directory: the seeds
        corpus = Path(tempfile.mkdtemp(prefix="btf-corpus-"))
        (corpus / "btf").write_bytes(b"\1" + btf_seed)
        (corpus / "ext").write_bytes(b"\0" + ext_seed)
        argv = [*argv, str(corpus)]

    def one(data: bytes) -> None:
        if data[:1] == b"\0":
            check_one(btf_seed, data[1:], 5.0)
        else:
            check_one(data[1:] or btf_seed, ext_seed, 5.0)

    atheris.instrument_all()
    atheris.Setup(argv, one)
    atheris.Fuzz()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=2000)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--max-seconds", type=float, default=2.0)
    ap.add_argument("--atheris", action="store_true")
    ap.add_argument("--duration", type=float, help="seconds: rounds of --examples until then")
    args, rest = ap.parse_known_args()
    if args.atheris:
        atheris_main([sys.argv[0], *rest])
        return 0
    if args.duration:
        return timed(args.duration, args.examples, args.seed or 0, args.max_seconds)
    start = time.perf_counter()
    n = campaign(args.examples, args.seed, args.max_seconds)
    print(f"btf_fuzz: {n} inputs, 0 failures, {time.perf_counter() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
