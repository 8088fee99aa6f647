"""pybpf._record: records behave as the dataclasses they replace (fields, defaults,
factories, frozen, slots, equality, hash, replace, pickling), whichever ``__init__`` builds
them (the generic one, or the one written for the class at its first use)."""

from __future__ import annotations

import pickle

import pytest

from pybpf._record import _WRITE_AFTER, field, record, replace


@record(frozen=True, slots=True)
class Base:
    x: int
    y: int = 3

    @property
    def total(self) -> int:
        return self.x + self.y


@record(frozen=True, slots=True)
class Child(Base):
    z: str = "q"


@record()
class Mutable:
    items: list[int] = field(default_factory=list)
    n: int = 0


def test_slotted_records_keep_inherited_defaults_and_have_no_dict() -> None:
    c = Child(1)
    assert (c.x, c.y, c.z, c.total) == (1, 3, "q", 4)
    assert Child.__slots__ == ("z",) and Base.__slots__ == ("x", "y")
    assert not hasattr(c, "__dict__")
    assert c == Child(1, 3, "q") == Child(x=1, z="q") and hash(c) == hash(Child(1))
    assert c != Base(1, 3) and repr(c) == "Child(x=1, y=3, z='q')"
    assert replace(c, z="w") == Child(1, 3, "w")
    assert pickle.loads(pickle.dumps(c)) == c
    with pytest.raises(AttributeError, match="frozen Child"):
        c.x = 2  # type: ignore[misc]  # the point of the test


def test_factories_give_each_instance_its_own_value() -> None:
    a, b = Mutable(), Mutable()
    a.items.append(1)
    a.n = 5
    assert (a.items, b.items, a.n) == ([1], [], 5)
    assert Mutable([2], 1) == Mutable(items=[2], n=1)


@pytest.mark.parametrize("call, message", [
    (lambda: Base(), "x"),
    (lambda: Base(1, 2, 3), "positional"),
    (lambda: Base(1, w=2), "w"),
    (lambda: Base(1, x=2), "x"),
])
def test_bad_arguments_are_type_errors(call, message: str) -> None:  # noqa: ANN001
    for _ in range(2):  # the generic __init__, then the one written for the class
        with pytest.raises(TypeError, match=message):
            call()
        for _ in range(_WRITE_AFTER):
            Base(1)


def test_the_written_init_replaces_the_generic_one_after_many_builds() -> None:
    @record(frozen=True, slots=True)
    class Hot:
        a: int
        b: list[int] = field(default_factory=list)

    generic = Hot.__init__
    made = [Hot(i) for i in range(_WRITE_AFTER + 1)]
    assert Hot.__init__ is not generic and Hot(1) == made[1] and Hot(2, [3]).b == [3]
    assert made[0].b is not made[1].b


def test_a_field_named_as_the_written_init_s_own_names_takes_the_generic_init() -> None:
    @record(frozen=True)
    class Odd:
        _set: int
        _MISSING: int = 2

    assert Odd(1) == Odd(1, 2) and Odd(1)._MISSING == 2 and Odd(_set=3)._set == 3


class _Hooked:
    def __post_init__(self) -> None:
        object.__setattr__(self, "seen", True)


def test_records_without_defaults_and_inherited_post_init_behave_as_dataclasses() -> None:
    import dataclasses

    @record(frozen=True, slots=True)
    class Plain(Base):  # every own field required; the base's defaults kept
        w: int = 0

    @record(frozen=True, slots=True)
    class Bare:
        a: int
        b: str

    @dataclasses.dataclass(frozen=True, slots=True)
    class BareDc:
        a: int
        b: str

    @record()
    class Hooked(_Hooked):
        a: int

    bare, dc = Bare(1, "x"), BareDc(1, "x")
    assert Bare.__match_args__ == BareDc.__match_args__ == ("a", "b")
    assert Bare.__slots__ == BareDc.__slots__ == ("a", "b")
    assert repr(bare).replace("Bare", "") == repr(dc).replace("BareDc", "")
    assert hash(bare) == hash(dc) and bare == Bare(a=1, b="x") and bare != Bare(1, "y")
    assert Plain(1).__reduce__() == (Plain, (1, 3, 0)) and Plain(1) == Plain(1, 3, 0)
    with pytest.raises(TypeError, match="'b'"):
        Bare(1)  # type: ignore[call-arg]  # the point of the test
    assert Hooked(1).seen and Hooked(1) == Hooked(1)


def test_a_record_s_methods_are_made_at_its_first_instance_as_they_would_be_at_once() -> None:
    """A class without slots or an ``__init__`` of its own is given its methods by its first
    ``__init__`` (pybpf._record._defer); before that, its fields and class attributes are
    already what they will be, and a subclass (a record or not) made before that first
    instance behaves as it would have."""
    import dataclasses

    def make() -> tuple[type, type, type]:
        @record(frozen=True)
        class Parent:
            a: int
            tags: list[int] = field(default_factory=list, repr=False, compare=False)
            b: int = field(default=5, repr=False)
            c: str = "c"

        @record()
        class Sub(Parent):
            d: int = 1

        class Plain(Parent):
            pass

        return Parent, Sub, Plain

    Parent, Sub, Plain = make()
    assert Parent.__match_args__ == ("a", "tags", "b", "c") and Parent.b == 5  # type: ignore[attr-defined]
    assert "tags" not in Parent.__dict__ and Parent.c == "c"  # type: ignore[attr-defined]
    assert Sub.__match_args__ == ("a", "tags", "b", "c", "d")
    p = Plain(1)  # the parent's methods, made through a subclass's first instance
    assert repr(p).endswith(".Parent(a=1, c='c')") and p == Plain(1, [2]) and p.tags == []
    assert hash(p) == hash(Parent(1)) and replace(p, a=2).a == 2
    with pytest.raises(AttributeError, match="frozen"):
        p.a = 3
    # (a record subclass sees what a parent without slots keeps as class attributes: its
    # plain defaults, not its factories nor the fields' repr/compare flags; as it did when
    # the methods were made at once)
    s = Sub(1, [], d=4)
    assert repr(s).endswith(".Sub(a=1, tags=[], b=5, c='c', d=4)") and s == Sub(1, [], 5, "c", 4)
    assert Sub(2, []).__reduce__() == (Sub, (2, [], 5, "c", 1))
    with pytest.raises(TypeError):
        hash(s)  # mutable and compared by value: unhashable, as a dataclass
    assert Parent.__init__ is not Plain.__dict__.get("__init__")

    @dataclasses.dataclass(frozen=True)
    class Dc:
        a: int
        tags: list[int] = dataclasses.field(default_factory=list, repr=False, compare=False)
        b: int = dataclasses.field(default=5, repr=False)
        c: str = "c"

    Parent2, _, _ = make()
    for name in ("a", "tags", "b", "c"):  # class attributes before any instance: dataclass's
        assert hasattr(Parent2, name) == hasattr(Dc, name)
    assert Parent2(1) == Parent2(1, [3]) and repr(Parent2(1)).endswith(".Parent(a=1, c='c')")
