"""`pybpf.kernel.maps.BatchItems` without a kernel: a read-only sequence of (key, value)
pairs kept as columns, behaving as the list of those pairs would."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybpf.kernel.maps import BatchItems

columns = st.lists(st.lists(st.tuples(st.integers(0, 9), st.integers()), max_size=6), max_size=4)


def build(parts: list[list[tuple[int, int]]]) -> BatchItems:
    return BatchItems([([k for k, _ in p], [v for _, v in p]) for p in parts])


@given(columns)
def test_behaves_as_the_list_of_its_pairs(parts: list[list[tuple[int, int]]]) -> None:
    items, pairs = build(parts), [kv for p in parts for kv in p]
    assert list(items) == pairs and len(items) == len(pairs) and bool(items) == bool(pairs)
    assert items == pairs and items == tuple(pairs) and items == build(parts)
    assert dict(items) == dict(pairs) and repr(items) == repr(pairs)
    for i in range(-len(pairs), len(pairs)):
        assert items[i] == pairs[i]
    assert items[1:-1] == pairs[1:-1] and items[::2] == pairs[::2]
    assert (items == pairs + [(0, 0)]) is False and items != pairs + [(0, 0)]
    for kv in pairs:
        assert kv in items and items.index(kv) == pairs.index(kv)


def test_bad_index_and_columns_are_errors() -> None:
    items = build([[(1, 10)]])
    with pytest.raises(IndexError):
        items[1]
    with pytest.raises(IndexError):
        items[-2]
    with pytest.raises(TypeError):
        items["0"]
    with pytest.raises(ValueError, match="2 keys has 1 values"):
        BatchItems([([1, 2], [10])])
    with pytest.raises(TypeError):
        hash(items)
    assert (items == {1: 10}) is False  # not a mapping's equal


def test_memoryview_columns_iterate_as_ints() -> None:
    keys, values = bytearray(b"\x01\x00\x02\x00"), bytearray(b"\x0a\x00\x00\x00\x14\x00\x00\x00")
    items = BatchItems([(memoryview(keys).cast("H"), memoryview(values).cast("I"))])
    assert dict(items) == {1: 10, 2: 20} and items[1] == (2, 20)


def test_map_loads_its_batch_methods_at_their_first_use() -> None:
    """`Map`'s batch methods are `pybpf.kernel.maps.batch.BatchOps`'s: a map's start-up
    loads no batch code (nor the kernel's info records: `pybpf.kernel.info`); until the
    first read of one, `Map` holds a stand-in for every method of `BatchOps`, and that read
    (here ``help``'s, from the class) puts them all on `Map`, the same functions."""
    import subprocess
    import sys

    from tests._startup_probe import ROOT, imported

    loaded = imported("from pybpf.kernel import maps, prog\nmaps.ArrayMap, prog.load")
    assert not {"pybpf.kernel.maps.batch", "pybpf._sequence", "pybpf.kernel.info"} & set(loaded)
    code = ("from pybpf.kernel.maps import Map\n"
            "lazy = {n for n, v in vars(Map).items() if type(v).__name__ == '_BatchMethod'}\n"
            "from pybpf.kernel.maps.batch import BatchOps\n"
            "assert lazy == {n for n in vars(BatchOps) if not n.startswith('__')}, lazy\n"
            "assert Map.lookup_batch_dict.__doc__ == BatchOps.lookup_batch_dict.__doc__\n"
            "assert all(vars(Map)[n] is v for n, v in vars(BatchOps).items() if n[:2] != '__')\n")
    subprocess.run([sys.executable, "-S", "-c", code], check=True, cwd=ROOT)
