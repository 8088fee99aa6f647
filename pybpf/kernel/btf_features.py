"""`probe_features`: which optional BTF kinds the running kernel accepts, found by loading a
tiny blob of each (`pybpf.kernel.btf.load_btf`); `pybpf.btf.writer.sanitize` downgrades
the kinds it lacks. `pybpf.kernel.btf` re-exports it.
"""
from __future__ import annotations

from ..errors import KernelError
from .btf import load_btf

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from ..btf.writer import BtfBuilder, Features


def _probe(build) -> bool:  # noqa: ANN001 - a callable filling a builder
    from ..btf.writer import BtfBuilder

    b = BtfBuilder()
    build(b)
    try:
        load_btf(b.encode(), log_level=0).close()
        return True
    except KernelError:
        return False


_FEATURES: list[Features] = []  # the running kernel's, once probed (functools: start-up)


def probe_features() -> Features:
    """Which optional BTF kinds the running kernel accepts (one tiny BPF_BTF_LOAD each, the
    first time).

    >>> probe_features().datasec          # doctest: +SKIP
    True
    """
    if not _FEATURES:
        _FEATURES.append(_probe_features())
    return _FEATURES[0]


def _probe_features() -> Features:
    from ..btf.fields import IntEncoding, Linkage
    from ..btf.writer import Features

    def func(b: BtfBuilder) -> None:
        i = b.add_int("int", 4, IntEncoding.SIGNED)
        p = b.add_func_proto(i, [])
        b.add_func("f", p)

    def func_global(b: BtfBuilder) -> None:
        i = b.add_int("int", 4, IntEncoding.SIGNED)
        p = b.add_func_proto(i, [])
        b.add_func("f", p, Linkage.GLOBAL)

    def datasec(b: BtfBuilder) -> None:
        i = b.add_int("int", 4, IntEncoding.SIGNED)
        v = b.add_var("x", i, Linkage.STATIC)
        b.add_datasec(".data", 4, [(v, 0, 4)])

    def float_(b: BtfBuilder) -> None:
        b.add_float("float", 4)

    def decl_tag(b: BtfBuilder) -> None:
        i = b.add_int("int", 4, IntEncoding.SIGNED)
        v = b.add_var("x", i, Linkage.STATIC)
        b.add_decl_tag("tag", v)

    def type_tag(b: BtfBuilder) -> None:
        i = b.add_int("int", 4, IntEncoding.SIGNED)
        t = b.add_type_tag("tag", i)
        b.add_ptr(t)

    def enum64(b: BtfBuilder) -> None:
        b.add_enum("e", [("A", 1 << 40)], 8)

    return Features(func=_probe(func), func_global=_probe(func_global), datasec=_probe(datasec),
                    float=_probe(float_), decl_tag=_probe(decl_tag), type_tag=_probe(type_tag),
                    enum64=_probe(enum64))
