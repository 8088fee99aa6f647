"""pybpf._enum against the standard library's enum: every behaviour pybpf's tables (opcodes,
bpf() commands, BTF kinds and encodings, reference kinds) rely on, side by side with an
`enum` class of the same members."""

from __future__ import annotations

import copy
import enum
import pickle

import pytest

from pybpf import _enum
from pybpf.btf.format import IntEncoding, Kind
from pybpf.isa.opcodes import AluOp, Class, Size
from pybpf.isa.program import RefKind
from pybpf.kernel.syscall import Cmd


class Ours(_enum.IntEnum):
    A = 1
    B = 2
    ALIAS = 1

    @property
    def big(self) -> bool:
        return self > 1


class Theirs(enum.IntEnum):
    A = 1
    B = 2
    ALIAS = 1

    @property
    def big(self) -> bool:
        return self > 1


class OurFlag(_enum.IntFlag):
    NONE = 0
    X = 1
    Y = 2
    Z = 4


class TheirFlag(enum.IntFlag):
    NONE = 0
    X = 1
    Y = 2
    Z = 4


class OurStr(_enum.StrEnum):
    ONE = "one"
    TWO = "two"


class TheirStr(str, enum.Enum):
    ONE = "one"
    TWO = "two"


def shown(cls: type, value: object) -> tuple[object, ...]:
    """What a user sees of ``cls(value)``, with the class name taken out."""
    m = cls(value)  # type: ignore[call-arg]
    name = cls.__name__
    return (repr(m).replace(name, "C"), str(m).replace(name, "C"), f"{m}".replace(name, "C"),
            m.name, m.value, hash(m) == hash(m.value), m == m.value, type(m) is cls,
            isinstance(m, type(m.value)))


@pytest.mark.parametrize("value", [1, 2])
def test_int_members_as_enums(value: int) -> None:
    assert shown(Ours, value) == shown(Theirs, value)
    assert Ours(value).big == Theirs(value).big
    assert Ours(value) + 1 == Theirs(value) + 1 and type(Ours(value) + 1) is int


def test_int_class_as_enums() -> None:
    assert [m.name for m in Ours] == [m.name for m in Theirs] == ["A", "B"]
    assert len(Ours) == len(Theirs) == 2
    assert Ours.ALIAS is Ours.A and Theirs.ALIAS is Theirs.A
    assert list(Ours.__members__) == list(Theirs.__members__) == ["A", "B", "ALIAS"]
    assert Ours["B"] is Ours.B and Ours(Ours.B) is Ours.B
    assert Ours.A in Ours and 1 in Ours and 3 not in Ours and "x" not in Ours
    assert 2 in Ours._value2member_map_
    for cls in (Ours, Theirs):
        with pytest.raises(ValueError, match="3 is not a valid"):
            cls(3)
        with pytest.raises(KeyError):
            cls["C"]


def test_members_stay_singletons() -> None:
    for m in (Ours.B, Class.JMP, AluOp.SUB, Cmd.MAP_CREATE, Kind.STRUCT, IntEncoding.SIGNED,
              RefKind.MAP, OurStr.TWO):
        assert pickle.loads(pickle.dumps(m)) is m
        assert copy.copy(m) is m and copy.deepcopy([m])[0] is m


@pytest.mark.parametrize("value", [0, 1, 3, 6, 7, 8, 9, 24, 25])
def test_flags_as_enums(value: int) -> None:
    assert shown(OurFlag, value) == shown(TheirFlag, value)


def test_flag_operators_as_enums() -> None:
    pairs = [(OurFlag, TheirFlag)]
    for ours, theirs in pairs:
        for a in (0, 1, 2, 4, 3):
            for b in (0, 1, 2, 4, 5):
                for op in (lambda x, y: x | y, lambda x, y: x & y, lambda x, y: x ^ y,
                           lambda x, y: x | int(y), lambda x, y: int(x) | y):
                    r1, r2 = op(ours(a), ours(b)), op(theirs(a), theirs(b))
                    assert repr(r1).replace("OurFlag", "C") == repr(r2).replace("TheirFlag", "C")
            assert repr(~ours(a)).replace("OurFlag", "C") == repr(~theirs(a)).replace("TheirFlag", "C")
            assert (ours.X in ours(a)) == (theirs.X in theirs(a))
            assert bool(ours(a)) == bool(theirs(a))


@pytest.mark.parametrize("value", ["one", "two"])
def test_str_members_as_enums(value: str) -> None:
    assert shown(OurStr, value) == shown(TheirStr, value)
    assert OurStr(value) == value and OurStr(value).upper() == TheirStr(value).upper()


def test_pybpf_tables_as_before() -> None:
    """The tables read as they did when they were `enum` classes."""
    assert repr(Class(5)) == "<Class.JMP: 5>" and Class.JMP.is_jump and not Class.LD.is_alu
    assert Size.DW.nbytes == 8 and [s.name for s in Size] == ["W", "H", "B", "DW"]
    assert Cmd(0) is Cmd.MAP_CREATE and Cmd.MAP_CREATE.name == "MAP_CREATE"
    assert repr(IntEncoding(3)) == "<IntEncoding.SIGNED|CHAR: 3>" and Kind.INT.label == "INT"
    assert str(RefKind.MAP) == "RefKind.MAP" and RefKind("map") is RefKind.MAP
    with pytest.raises(ValueError, match="99 is not a valid Class"):
        Class(99)
