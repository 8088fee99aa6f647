"""Plain records: what ``@dataclass`` gives pybpf's simple records (``__init__``,
``__repr__``, ``__eq__``, frozen instances, ``replace``) without importing `dataclasses`.

Importing `dataclasses` pulls in `inspect`, `ast`, `dis`, `tokenize` and `re`: more
instructions than the rest of a probe's start-up (see benchmarks/startup.py). The records
on the paths every command takes (`pybpf.kernel`'s load options and kernel answers, the
mount and link records) use `record`; everything else keeps `dataclasses`.

The spelling is the dataclass one: fields are the class's annotations in order
(``ClassVar`` ones excluded), a class attribute of the same name is the default,
``field(default_factory=..., repr=False)`` a per-instance default, and `replace` returns
a changed copy. Type checkers read `record` as a dataclass transform.

>>> @record(frozen=True)
... class Point:
...     x: int
...     y: int = 0
...     tags: list[str] = field(default_factory=list, repr=False)
>>> p = Point(1)
>>> p, p == Point(1, 0), replace(p, y=2)
(Point(x=1, y=0), True, Point(x=1, y=2))
>>> p.x = 5
Traceback (most recent call last):
...
AttributeError: cannot assign to field 'x' of a frozen Point
"""

from __future__ import annotations

try:  # operator's C half: operator.py itself costs a counter's start-up ~2% of its instructions
    from _operator import attrgetter
except ImportError:  # pragma: no cover - interpreters without it
    from operator import attrgetter

TYPE_CHECKING = False  # (not typing's: this module exists to keep start-up imports small)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:
    def dataclass_transform(**_kw: object) -> Callable[[T], T]:
        return lambda fn: fn

__all__ = ["Frozen", "field", "record", "replace"]

_MISSING = object()


class _Field:
    """A field default given by `field` (a factory, or a value, and whether repr shows it)."""

    __slots__ = ("compare", "default", "default_factory", "repr")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None, repr: bool,  # noqa: A002
                 compare: bool = True) -> None:
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None,
          repr: bool = True, compare: bool = True) -> Any:  # noqa: A002 - dataclasses' own parameter name
    """A field's default as ``dataclasses.field`` spells it: a value or a per-instance factory,
    whether the record's repr shows it and whether ``==`` and ``hash`` read it."""
    return _Field(default, default_factory, repr, compare)


def replace(obj: T, **changes: Any) -> T:
    """A copy of the record ``obj`` with ``changes`` applied (as ``dataclasses.replace``)."""
    result: T = obj.__replace__(**changes)  # type: ignore[attr-defined]  # every record has one
    return result


def _fields(cls: type) -> list[str]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name, ann in klass.__dict__.get("__annotations__", {}).items():
            text = ann if isinstance(ann, str) else getattr(ann, "__name__", "")
            if text.startswith(("ClassVar", "typing.ClassVar")) or name in names:
                continue
            names.append(name)
    return names


class _Slotted:
    __slots__ = ("field",)


_SLOT = type(_Slotted.__dict__["field"])  # what a slotted class holds under a field's name


def _slotted(cls: type[T], names: tuple[str, ...], added: dict[str, Any]) -> type[T]:
    """``cls`` made again with its fields as ``__slots__`` (those its bases do not slot
    already), its class attributes of the same names (plain defaults) left out, and the
    ``added`` attributes in its body (one class made: each attribute set on a made class
    updates its slots again)."""
    inherited: set[str] = set()
    for klass in cls.__mro__[1:]:
        inherited.update(klass.__dict__.get("__slots__", ()))
    left_out = {*names, "__dict__", "__weakref__"}
    body = {k: v for k, v in cls.__dict__.items() if k not in left_out}
    body.update(added)
    body["__slots__"] = tuple([n for n in names if n not in inherited])
    body["__qualname__"] = cls.__qualname__
    meta: Any = type(cls)
    made: type[T] = meta(cls.__name__, cls.__bases__, body)
    return made


_OWN = ("_MISSING", "_post_init", "_set")  # the names the written __init__ reads
#: records of a class built before its own __init__ is written (`_written_init`)
_WRITE_AFTER = 256


def _written_init(names: tuple[str, ...], plain: dict[str, Any],
                  factories: tuple[tuple[str, Callable[[], Any]], ...],
                  post_init: Callable[[Any], None] | None, qualname: str,
                  slots: bool) -> Callable[..., None] | None:
    """An ``__init__`` taking ``names`` as parameters (defaults from ``plain``, a fresh
    value from ``factories``) that writes them into the instance's ``__dict__``, then runs
    ``post_init``; None when Python cannot spell it (a required field after a default, a
    field named as a parameter or a name of its own)."""
    if any(n == "self" or n in _OWN or n.startswith(("_default_", "_factory_")) for n in names):
        return None
    made = dict(factories)
    space: dict[str, Any] = {"_MISSING": _MISSING, "_post_init": post_init,
                             "_set": object.__setattr__}
    params, body = [], []
    for name in names:
        if name in plain:
            space[f"_default_{name}"] = plain[name]
            params.append(f"{name}=_default_{name}")
        elif name in made:
            space[f"_factory_{name}"] = made[name]
            params.append(f"{name}=_MISSING")
            body.append(f"    if {name} is _MISSING:\n        {name} = _factory_{name}()\n")
        elif params and "=" in params[-1]:
            return None
        else:
            params.append(name)
    if slots:  # past a frozen record's __setattr__, as dataclasses does
        body.extend(f"    _set(self, {n!r}, {n})\n" for n in names)
    else:
        body.append("    self.__dict__.update({" + ", ".join(f"{n!r}: {n}" for n in names) +
                    "})\n")
    if post_init is not None:
        body.append("    _post_init(self)\n")
    exec(f"def __init__(self, {', '.join(params)}):\n{''.join(body)}", space)  # noqa: S102 - our own text
    init: Callable[..., None] = space["__init__"]
    init.__qualname__ = f"{qualname}.__init__"
    return init


@dataclass_transform(field_specifiers=(field,))
def record(*, frozen: bool = False, eq: bool = True, slots: bool = False
           ) -> Callable[[type[T]], type[T]]:
    """Class decorator: make ``cls`` a record of its annotated fields (module docstring).

    ``eq=False`` keeps ``object``'s identity ``==`` and hash (as dataclasses' ``eq=False``);
    a ``__post_init__`` method runs at the end of ``__init__``. ``slots=True`` returns a
    new class whose fields are ``__slots__`` (as dataclasses' ``slots=True``: no instance
    ``__dict__``, for records built by the hundred thousand, such as BTF types).
    """

    def wrap(cls: type[T]) -> type[T]:
        if slots or "__init__" in cls.__dict__:  # made again / built by its own __init__
            return _make(cls, frozen, eq, slots, tuple(_fields(cls)), None, None)
        return _defer(cls, frozen, eq)

    return wrap


def _defer(cls: type[T], frozen: bool, eq: bool) -> type[T]:
    """``cls`` as a record whose methods are made at its first instance (`_make`, run by
    the ``__init__`` set here): most record classes of a start-up path are never built
    (a program's info, a tracepoint's parsed format), and making the methods costs several
    times what making the class did. What can be read of the class before then is already
    as `_make` leaves it: its fields (``__match_args__``) and its class attributes (a
    `field` default replaced by its plain value, or removed)."""
    names = tuple(_fields(cls))
    own = cls.__dict__
    pending = {n: own[n] for n in names if isinstance(own.get(n), _Field)}
    for name, spec in pending.items():  # (as the end of _make does)
        if spec.default_factory is not None or spec.default is _MISSING:
            delattr(cls, name)
        else:
            setattr(cls, name, spec.default)
    if "__match_args__" not in own:
        cls.__match_args__ = names  # type: ignore[attr-defined,misc]  # (as _make sets it)

    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        if cls.__dict__.get("__init__") is __init__:  # the first instance: the methods
            _make(cls, frozen, eq, False, names, pending, __init__)
        cls.__dict__["__init__"](self, *args, **kw)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    type.__setattr__(cls, "__init__", __init__)
    return cls


def _make(cls: type[T], frozen: bool, eq: bool, slots: bool, names: tuple[str, ...],
          pending: dict[str, _Field] | None, placeholder: object) -> type[T]:
    """Give ``cls`` its record methods (`record`); ``pending`` is the `field` defaults
    `_defer` took out of the class, ``placeholder`` the ``__init__`` it set."""
    # each class of the MRO's namespace and kept defaults, read once (a record class
    # is made at import: this prologue is most of what making one costs)
    spaces: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = [
        (d, d.get("_record_defaults", {})) for d in [k.__dict__ for k in cls.__mro__]]
    if pending:  # this class's own field() defaults: what _defer took out of it
        spaces[0] = ({k: v for k, v in spaces[0][0].items() if k not in pending}, pending)
    defaults: dict[str, _Field] = {}
    for name in names:
        for space, kept in spaces:  # a slotted record's kept defaults
            if name in space and not isinstance(space[name], _SLOT):
                value = space[name]
                defaults[name] = value if isinstance(value, _Field) else _Field(value, None, True)
                break
            if name in kept:
                defaults[name] = kept[name]
                break
    # getattr's miss on a class raises (and formats) an AttributeError: looked up only
    # when some class of the MRO, or a metaclass other than type, may hold one
    post_init = getattr(cls, "__post_init__", None) \
        if type(cls) is not type or any("__post_init__" in space for space, _ in spaces) \
        else None
    qualname = cls.__qualname__
    known = frozenset(names)
    count = len(names)
    if defaults:
        shown = tuple([n for n in names if n not in defaults or defaults[n].repr])
        compared = tuple([n for n in names if n not in defaults or defaults[n].compare])
        plain = {n: d.default for n, d in defaults.items()
                 if d.default_factory is None and d.default is not _MISSING}
        factories = tuple([(n, d.default_factory) for n, d in defaults.items()
                           if d.default_factory is not None])
        required = next((i for i, n in enumerate(names) if n in defaults), count)
        given = tuple([plain.get(n, _MISSING) for n in names[required:]])
        # a factory or a required field after a default: the long way
        tail = None if any([v is _MISSING for v in given]) else given
    else:  # every field required (most records): what the lines above give then
        shown = compared = names
        plain, factories, required = {}, (), count
        tail = ()

    def generic_init(self: Any, *args: Any, **kw: Any) -> None:
        # the values are written into the instance's __dict__ at once (past a frozen
        # record's __setattr__, as object.__setattr__ would): a record is built often
        if not kw and required <= len(args) <= count and tail is not None and not slots:
            # positional fields, the rest plain defaults: the common case
            self.__dict__.update(zip(names, args + tail[len(args) - required:], strict=True))
            if post_init is not None:
                post_init(self)
            return
        values = dict(plain)
        if args:
            if len(args) > count:
                raise TypeError(f"{qualname}() takes {count} positional arguments but "
                                f"{len(args)} were given")
            values.update(zip(names, args, strict=False))
            for name in names[:len(args)]:
                if name in kw:
                    raise TypeError(f"{qualname}() got multiple values for argument "
                                    f"{name!r}")
        if kw:
            if not known.issuperset(kw):
                raise TypeError(f"{qualname}() got an unexpected keyword argument "
                                f"{next(k for k in kw if k not in known)!r}")
            values.update(kw)
        for name, factory in factories:
            if name not in values:
                values[name] = factory()
        if len(values) != count:
            missing = next(n for n in names if n not in values)
            raise TypeError(f"{qualname}() missing required argument {missing!r}")
        if slots:
            for name, value in values.items():
                object.__setattr__(self, name, value)
        else:
            self.__dict__.update(values)
        if post_init is not None:
            post_init(self)

    built = 0

    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        # the _WRITE_AFTER-th record built compiles this class's own __init__ (as
        # dataclasses writes one: ~2x faster than the generic one) and installs it; a
        # compile costs as much as a few hundred generic builds, so a class built a few
        # times (most records of a start-up path) never pays it
        nonlocal built
        built += 1
        if built == _WRITE_AFTER and cls.__dict__.get("__init__") is __init__:
            init = _written_init(names, plain, factories, post_init, qualname, slots)
            if init is not None:
                type.__setattr__(cls, "__init__", init)  # replacing this very method
        generic_init(self, *args, **kw)

    def __repr__(self: Any) -> str:
        return f"{qualname}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in shown) + ")"

    def values(self: Any) -> tuple[Any, ...]:
        return tuple(getattr(self, n) for n in names)

    compared_values: Callable[[Any], tuple[Any, ...]]
    if len(compared) > 1:
        compared_values = attrgetter(*compared)  # a tuple of the values, in C
    else:
        def compared_values(self: Any) -> tuple[Any, ...]:
            return tuple(getattr(self, n) for n in compared)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return compared_values(self) == compared_values(other)

    def __hash__(self: Any) -> int:
        return hash(compared_values(self))

    def __replace__(self: Any, **changes: Any) -> Any:
        for name in changes:
            if name not in names:
                raise TypeError(f"{qualname} has no field {name!r}")
        return self.__class__(**{n: changes[n] if n in changes else getattr(self, n)
                                 for n in names})

    def __reduce__(self: Any) -> tuple[Any, ...]:
        return self.__class__, values(self)

    methods: dict[str, Any] = {"__init__": __init__, "__repr__": __repr__,
                               "__replace__": __replace__, "__reduce__": __reduce__,
                               "__match_args__": names}
    if eq:
        methods["__eq__"] = __eq__
    if frozen:
        def __setattr__(self: Any, name: str, value: object) -> None:
            raise AttributeError(f"cannot assign to field {name!r} of a frozen {qualname}")

        def __delattr__(self: Any, name: str) -> None:
            raise AttributeError(f"cannot delete field {name!r} of a frozen {qualname}")

        methods.update(__setattr__=__setattr__, __delattr__=__delattr__)
    # as dataclasses: a method the class body defines is kept, and so is an explicit hash
    own: Mapping[str, Any] = cls.__dict__
    if placeholder is not None:
        own = {k: v for k, v in own.items() if v is not placeholder}
    explicit_hash = own.get("__hash__", None) is not None or \
        ("__hash__" in own and "__eq__" not in own)
    added = {key: value for key, value in methods.items() if key not in own}
    if eq and not explicit_hash:
        # frozen and compared by value: hashed by value; mutable: unhashable
        added["__hash__"] = __hash__ if frozen else None
    if slots:  # the class made again, once, with the methods in its body
        added["_record_defaults"] = defaults  # its subclasses' defaults
        cls = _slotted(cls, names, added)
        return cls
    for key, value in added.items():
        setattr(cls, key, value)
    for name, spec in defaults.items():  # class attributes hold plain defaults only
        if name in cls.__dict__ and not slots:
            if spec.default_factory is not None or spec.default is _MISSING:
                delattr(cls, name)
            elif isinstance(cls.__dict__[name], _Field):
                setattr(cls, name, spec.default)
    return cls


class Frozen:
    """Base of hand-written frozen slotted records: a subclass lists its fields in
    ``__slots__`` and ``__match_args__`` (all of them, in order) and writes its ``__init__``
    (``object.__setattr__`` past the frozen ``__setattr__``); this gives what
    ``record(frozen=True, slots=True)`` would (``repr``, ``==`` and ``hash`` by value,
    `replace`, pickling) for the price of a plain class (a `record` class costs a start-up
    about three times as much: its methods made per class, the class made twice for slots).

    >>> class Pair(Frozen):
    ...     __slots__ = __match_args__ = ("a", "b")
    ...     def __init__(self, a: int, b: int = 0) -> None:
    ...         object.__setattr__(self, "a", a)
    ...         object.__setattr__(self, "b", b)
    >>> Pair(1), Pair(1) == Pair(1, 0), replace(Pair(1), b=2)
    (Pair(a=1, b=0), True, Pair(a=1, b=2))
    """

    __slots__ = ()
    __match_args__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, n) for n in self.__match_args__])

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(" + ", ".join(
            [f"{n}={getattr(self, n)!r}" for n in self.__match_args__]) + ")"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # (same class)

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen "
                             f"{type(self).__qualname__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen "
                             f"{type(self).__qualname__}")

    def __replace__(self, **changes: Any) -> Any:
        for name in changes:
            if name not in self.__match_args__:
                raise TypeError(f"{type(self).__qualname__} has no field {name!r}")
        return self.__class__(**{n: changes[n] if n in changes else getattr(self, n)
                                 for n in self.__match_args__})

    def __reduce__(self) -> tuple[Any, ...]:
        return self.__class__, self._values()
