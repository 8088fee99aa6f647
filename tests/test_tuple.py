"""pybpf._tuple.FieldTuple behaves as collections.namedtuple does for what pybpf uses."""
from __future__ import annotations

import copy
import pickle
from collections import namedtuple

import pytest

from pybpf._tuple import FieldTuple
from pybpf.isa.insn import Insn
from pybpf.isa.program import SourceLine

Reference = namedtuple("Point", "x y", defaults=(0,))


class Point(FieldTuple):
    __slots__ = ()
    _fields = ("x", "y")
    _field_defaults = {"y": 0}

    def __new__(cls, x: int, y: int = 0) -> Point:
        return tuple.__new__(cls, (x, y))


def test_same_as_namedtuple() -> None:
    ours, ref = Point(1), Reference(1)
    assert repr(ours) == repr(ref) == "Point(x=1, y=0)"
    assert ours == ref == (1, 0) and hash(ours) == hash(ref)
    assert (ours.x, ours.y) == (ref.x, ref.y)
    assert repr(ours._replace(y=5)) == repr(ref._replace(y=5))
    assert ours._asdict() == ref._asdict()
    assert Point._make([3, 4]) == Reference._make([3, 4]) and type(Point._make([3, 4])) is Point
    assert Point._fields == Reference._fields and Point._field_defaults == Reference._field_defaults
    assert Point.__match_args__ == Reference.__match_args__
    assert Point.x.__doc__ == Reference.x.__doc__
    with pytest.raises(AttributeError):
        ours.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ours.z = 2  # type: ignore[attr-defined]
    for make in (Point, Reference):
        with pytest.raises(ValueError, match="unexpected field names"):
            make(1)._replace(z=1)
        with pytest.raises(TypeError):
            make._make([1, 2, 3])


def test_match_pickle_copy() -> None:
    match Point(1, 2):
        case Point(x, y):
            assert (x, y) == (1, 2)
    p = Point(7, 8)
    assert pickle.loads(pickle.dumps(p)) == p and type(pickle.loads(pickle.dumps(p))) is Point
    assert copy.copy(p) == p and copy.deepcopy(p) == p


def test_pybpf_tuples() -> None:
    insn = Insn(0xb7, dst=1, imm=2)
    assert insn._fields == ("opcode", "dst", "src", "off", "imm")
    assert insn._replace(imm=3) == Insn(0xb7, 1, 0, 0, 3) and type(insn._replace(imm=3)) is Insn
    assert insn._asdict() == {"opcode": 0xb7, "dst": 1, "src": 0, "off": 0, "imm": 2}
    assert pickle.loads(pickle.dumps(insn)) == insn
    line = SourceLine("a.s", 3)
    assert line == ("a.s", 3, 1, "") and line.column == 1 and line.text == ""
    assert repr(line) == "SourceLine(filename='a.s', line=3, column=1, text='')"
    assert SourceLine(filename="b", line=1, text="x") == ("b", 1, 1, "x")
    assert pickle.loads(pickle.dumps(line)) == line
