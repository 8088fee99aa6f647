"""`pybpf.kernel.records.Records` against the list of ``bytes`` it stands for (no kernel)."""
from __future__ import annotations

import copy
import pickle
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.kernel.records import Records

#: lists of records: all of one length (cut by that length) or of mixed lengths (offsets),
#: long enough to cross the 512-record chunks iteration cuts
same_length = st.integers(0, 9).flatmap(
    lambda n: st.lists(st.binary(min_size=n, max_size=n), max_size=1100))
mixed = st.lists(st.binary(max_size=12), max_size=40)
record_lists = st.one_of(same_length, mixed)


def packed(items: list[bytes], pad: bytes = b"") -> Records:
    """``items`` as the drain leaves them: one buffer (with ``pad`` around it) and offsets or a
    record length, whichever Records uses for them."""
    data = pad + b"".join(items) + pad
    lengths = set(map(len, items))
    if len(lengths) == 1:
        return Records(data, size=lengths.pop(), count=len(items), start=len(pad))
    return Records(data, [len(pad) + o for o in accumulate(map(len, items), initial=0)])


@settings(max_examples=60, deadline=None)
@given(record_lists, st.binary(max_size=3), st.data())
def test_records_behave_as_the_list(items: list[bytes], pad: bytes, data: st.DataObject) -> None:
    recs = packed(items, pad)
    assert len(recs) == len(items) and bool(recs) == bool(items)
    assert list(recs) == items and recs.tolist() == items and all(type(r) is bytes for r in recs)
    assert recs == items and recs == tuple(items) and not recs != items
    assert repr(recs) == repr(items)
    assert list(reversed(recs)) == items[::-1]
    assert bytes(recs.buffer) == b"".join(items) and recs.buffer.readonly
    offs = list(recs.offsets)
    assert offs == list(accumulate(map(len, items), initial=0))
    assert recs.lengths == list(map(len, items))
    if items:
        i = data.draw(st.integers(-len(items), len(items) - 1))
        assert recs[i] == items[i]
        assert (items[i] in recs) and recs.index(items[i]) == items.index(items[i])
        assert recs.count(items[i]) == items.count(items[i])
    for bad in (len(items), -len(items) - 1):
        with pytest.raises(IndexError):
            recs[bad]
    lo, hi = data.draw(st.integers(-50, 50)), data.draw(st.integers(-50, 50))
    step = data.draw(st.sampled_from([None, 1, 2, -1, -3]))
    part = recs[lo:hi:step]
    assert type(part) is Records and part == items[lo:hi:step]
    assert bytes(part.buffer) == b"".join(items[lo:hi:step])
    assert list(part.offsets) == list(accumulate(map(len, items[lo:hi:step]), initial=0))


@settings(max_examples=40, deadline=None)
@given(record_lists, record_lists)
def test_concatenation(a: list[bytes], b: list[bytes]) -> None:
    ra, rb = packed(a, b"x"), packed(b)
    for joined in (ra + rb, ra + b, a + rb, tuple(a) + rb, Records.concat([ra, rb])):
        assert type(joined) is Records and joined == a + b
    assert Records.from_list(a) == a and Records.from_list(a).buffer == packed(a).buffer
    assert (packed(a) == packed(b)) == (a == b)


@pytest.mark.parametrize("items", [[], [b"ab", b"cd"], [b"a", b"", b"bcd"], [b""] * 3])
def test_records_pickle_and_copy_as_records(items: list[bytes]) -> None:
    recs = packed(items, b"pad")[:]
    for twin in (pickle.loads(pickle.dumps(recs)), copy.copy(recs), copy.deepcopy(recs)):
        assert type(twin) is Records and twin == items and twin.record_size == recs.record_size


def test_records_are_unhashable_and_refuse_bad_arguments() -> None:
    recs = Records.from_list([b"ab", b"c"])
    with pytest.raises(TypeError):
        hash(recs)
    with pytest.raises(TypeError, match="indices must be integers"):
        recs["0"]
    assert recs.__eq__(3) is NotImplemented and recs.__add__(3) is NotImplemented
    assert Records() == [] and len(Records(b"", size=0, count=4)) == 4
    with pytest.raises(ValueError, match="need offsets or a record size"):
        Records(b"abc")
    with pytest.raises(ValueError, match="do not fit"):
        Records(b"abc", size=2, count=2)
    with pytest.raises(ValueError, match="outside"):
        Records(b"abc", [0, 4])
