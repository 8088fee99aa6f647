"""``enum bpf_core_relo_kind``: the kinds of CO-RE relocation of ``.BTF.ext``, and `CoreRelo`,
one relocation record.

Their own module so that reading an object without CO-RE relocations does not build
them; `pybpf.btf.ext` exports them too.

>>> CoreReloKind(1), CoreReloKind.TYPE_ID_TARGET.label
(<CoreReloKind.FIELD_BYTE_SIZE: 1>, 'target_type_id')
"""
from __future__ import annotations

from .._record import Frozen

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from enum import IntEnum
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import IntEnum

__all__ = ["CoreRelo", "CoreReloKind"]

_set = object.__setattr__  # past the frozen __setattr__, as dataclasses' __init__ does


class CoreReloKind(IntEnum):
    """``enum bpf_core_relo_kind``."""

    FIELD_BYTE_OFFSET = 0
    FIELD_BYTE_SIZE = 1
    FIELD_EXISTS = 2
    FIELD_SIGNED = 3
    FIELD_LSHIFT_U64 = 4
    FIELD_RSHIFT_U64 = 5
    TYPE_ID_LOCAL = 6
    TYPE_ID_TARGET = 7
    TYPE_EXISTS = 8
    TYPE_SIZE = 9
    ENUMVAL_EXISTS = 10
    ENUMVAL_VALUE = 11
    TYPE_MATCHES = 12

    @property
    def label(self) -> str:
        """libbpf's short name (``byte_off``, ``type_id_target``...)."""
        return _LABELS[self]


_LABELS = {
    CoreReloKind.FIELD_BYTE_OFFSET: "byte_off", CoreReloKind.FIELD_BYTE_SIZE: "byte_sz",
    CoreReloKind.FIELD_EXISTS: "field_exists", CoreReloKind.FIELD_SIGNED: "signed",
    CoreReloKind.FIELD_LSHIFT_U64: "lshift_u64", CoreReloKind.FIELD_RSHIFT_U64: "rshift_u64",
    CoreReloKind.TYPE_ID_LOCAL: "local_type_id", CoreReloKind.TYPE_ID_TARGET: "target_type_id",
    CoreReloKind.TYPE_EXISTS: "type_exists", CoreReloKind.TYPE_SIZE: "type_size",
    CoreReloKind.ENUMVAL_EXISTS: "enumval_exists", CoreReloKind.ENUMVAL_VALUE: "enumval_value",
    CoreReloKind.TYPE_MATCHES: "type_matches",
}


class CoreRelo(Frozen):
    """A CO-RE relocation: at ``insn_off``, ``kind`` of ``type_id`` along ``access`` ("0:1:2")."""

    __slots__ = __match_args__ = ("insn_off", "type_id", "access_str_off", "kind", "access")

    insn_off: int
    type_id: int
    access_str_off: int
    kind: CoreReloKind
    access: str

    def __init__(self, insn_off: int, type_id: int, access_str_off: int, kind: CoreReloKind,
                 access: str) -> None:
        _set(self, "insn_off", insn_off)
        _set(self, "type_id", type_id)
        _set(self, "access_str_off", access_str_off)
        _set(self, "kind", kind)
        _set(self, "access", access)

    @property
    def insn(self) -> int:
        return self.insn_off // 8

    @property
    def spec(self) -> list[int]:
        """The access string as integers (first: array index, then member/enumerator indexes)."""
        return [int(x) for x in self.access.split(":") if x != ""]
