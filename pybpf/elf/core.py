"""CO-RE: relocate field offsets, sizes, type and enum facts to the running kernel's BTF.

clang records, for every ``__builtin_preserve_*`` access, a relocation ``(insn,
local type id, access string, kind)`` in ``.BTF.ext``. Resolving one follows
libbpf's rules:

1. the *local spec*: walk the access string (``"0:2:1"``: array index on the
   root, then member or array indices) through the object's BTF; anonymous
   members are stepped through but not matched by name;
2. the *candidates*: kernel types of the same kind whose name equals the local
   name without its ``___flavor`` suffix (``task_struct___old`` -> ``task_struct``);
3. each candidate is matched by member *name* (searching anonymous members),
   with compatible field types at every step; all matching candidates must agree;
4. the instruction gets the target value (ALU imm, load/store offset and size,
   or the 64-bit constant of an ``lddw``). A relocation with no match becomes the
   "poisoned" call ``call 0xbad2310`` (so the verifier stops there if it is
   reachable) unless its kind asks whether something *exists*, which gives 0.

>>> r = CoreRelo(insn_off=0, type_id=5, access="0:1", kind=CoreKind.FIELD_BYTE_OFFSET)
>>> r.kind.name
'FIELD_BYTE_OFFSET'
"""

from __future__ import annotations

from dataclasses import dataclass

from ..btf import Btf, Kind
from ..btf import types as T
from ..btf.ext import CoreReloKind
from ..errors import BtfError, ElfError
from ..isa import CALL, LDDW, Class, Insn, Mode, Size
from ..isa.opcodes import SIZE_BYTES, SIZE_OF_BYTES

#: The helper id libbpf puts in a poisoned instruction (0xbad2310).
POISON_HELPER = 0xBAD2310


#: The relocation kinds (``enum bpf_core_relo_kind``), defined once in `pybpf.btf.ext`.
CoreKind = CoreReloKind
_FIELD_KINDS = frozenset(k for k in CoreKind if k <= CoreKind.FIELD_RSHIFT_U64)
_ENUMVAL_KINDS = frozenset({CoreKind.ENUMVAL_EXISTS, CoreKind.ENUMVAL_VALUE})
_EXISTENCE_KINDS = frozenset({CoreKind.FIELD_EXISTS, CoreKind.TYPE_EXISTS,
                              CoreKind.ENUMVAL_EXISTS, CoreKind.TYPE_MATCHES})


def is_field(kind: CoreKind) -> bool:
    return kind in _FIELD_KINDS


def is_enumval(kind: CoreKind) -> bool:
    return kind in _ENUMVAL_KINDS


def is_existence(kind: CoreKind) -> bool:
    """Kinds that ask whether something exists: no match gives 0, not a poisoned insn."""
    return kind in _EXISTENCE_KINDS


@dataclass(frozen=True, slots=True)
class CoreRelo:
    """One CO-RE relocation record: ``insn_off`` is a byte offset in its section."""

    insn_off: int
    type_id: int
    access: str
    kind: CoreKind


@dataclass(frozen=True, slots=True)
class CoreResult:
    """What a relocation resolved to: values in the object and in the kernel.

    ``poison`` is set when no kernel type matched (``reason`` says why).
    ``local_size``/``target_size`` are field sizes, for load/store size fixes.
    """

    local: int
    target: int
    poison: bool = False
    reason: str = ""
    local_size: int = 0
    target_size: int = 0
    target_signed: bool = False
    #: whether the instruction must hold the local value (libbpf skips the check on
    #: bitfields, where clang's choices and libbpf's may differ)
    validate: bool = True
    #: a load/store whose size would have to change in a way that corrupts the value
    #: (signed or non-integer fields of another size): libbpf poisons it
    fail_memsz_adjust: bool = False


def essential_name(name: str) -> str:
    """A type name without its ``___flavor`` suffix.

    >>> essential_name("task_struct___v510")
    'task_struct'
    """
    i = name.find("___")
    return name if i < 0 else name[:i]


# -- specs ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Acc:
    type_id: int  # the type the accessor applies to (resolved)
    idx: int
    name: str | None  # member name; None for an array index


@dataclass
class _Spec:
    btf: Btf
    root_id: int
    accs: list[_Acc]
    bit_offset: int
    field_type: int  # type id of the accessed field (for field kinds)
    bitfield_size: int = 0


def _kind(btf: Btf, tid: int) -> Kind:
    return btf.kind(tid)


def _parse_local(btf: Btf, relo: CoreRelo) -> _Spec:
    try:
        raw = [int(x) for x in relo.access.split(":")]
    except ValueError:
        raise ElfError(f"CO-RE access string {relo.access!r} is malformed") from None
    if not raw or any(x < 0 for x in raw):
        raise ElfError(f"CO-RE access string {relo.access!r} is malformed")
    root = relo.type_id
    if not is_field(relo.kind):
        return _Spec(btf, root, [], 0, root)
    tid = btf.resolve(root)
    accs = [_Acc(tid, raw[0], None)]
    bit = raw[0] * btf.size_of(tid) * 8
    bits = 0
    for idx in raw[1:]:
        tid = btf.resolve(tid)
        rec = btf[tid]
        if isinstance(rec, T.Composite):
            if idx >= len(rec.members):
                raise ElfError(f"CO-RE access {relo.access!r}: member index {idx} out of range "
                               f"for {rec.name or '(anon)'}")
            m = rec.members[idx]
            bit += m.bit_offset
            bits = m.bitfield_size
            if m.name:
                accs.append(_Acc(tid, idx, m.name))
            tid = m.type
        elif isinstance(rec, T.Array):
            # libbpf refuses an index past a fixed-size array (only a flexible array
            # member, the last one of its struct with no elements, may be indexed freely)
            parent = btf[accs[-1].type_id] if accs else None
            flex = (rec.nelems == 0 and isinstance(parent, T.Composite)
                    and accs[-1].idx == len(parent.members) - 1)
            if not flex and idx >= rec.nelems:
                raise ElfError(f"CO-RE access {relo.access!r}: index {idx} is past the end of "
                               f"an array of {rec.nelems}")
            accs.append(_Acc(tid, idx, None))
            bit += idx * btf.size_of(rec.type) * 8
            bits = 0
            tid = rec.type
        else:
            raise ElfError(f"CO-RE access {relo.access!r} steps into a {rec.kind.name.lower()}")
    return _Spec(btf, root, accs, bit, tid, bits)


# -- compatibility ------------------------------------------------------------------------
def _any_enum(k: Kind) -> bool:
    return k in (Kind.ENUM, Kind.ENUM64)


def _fields_compatible(lb: Btf, lid: int, tb: Btf, tid: int, depth: int = 0) -> bool:
    lid, tid = lb.resolve(lid), tb.resolve(tid)
    lk, tk = _kind(lb, lid), _kind(tb, tid)
    composite = (Kind.STRUCT, Kind.UNION)
    if lk in composite and tk in composite:
        return True
    if _any_enum(lk) and _any_enum(tk):
        ln, tn = lb.type_name(lid), tb.type_name(tid)
        return not ln or not tn or essential_name(ln) == essential_name(tn)
    if lk != tk:
        return False
    if lk in (Kind.PTR, Kind.FLOAT):
        return True
    if lk == Kind.FWD:
        return essential_name(lb.type_name(lid)) == essential_name(tb.type_name(tid))
    if lk == Kind.INT:
        li, ti = lb[lid], tb[tid]
        return isinstance(li, T.Int) and isinstance(ti, T.Int) and li.bit_offset == 0 \
            and ti.bit_offset == 0
    if lk == Kind.ARRAY and depth < 8:
        la, ta = lb[lid], tb[tid]
        assert isinstance(la, T.Array) and isinstance(ta, T.Array)
        return _fields_compatible(lb, la.type, tb, ta.type, depth + 1)
    return False


def _find_member(tb: Btf, tid: int, name: str, lb: Btf, local_member_type: int,
                 depth: int = 0) -> tuple[int, int, int] | None:
    """(member type, bit offset, bitfield size) of ``name`` in ``tid``, through anonymous members."""
    rec = tb[tb.resolve(tid)]
    if not isinstance(rec, T.Composite) or depth > 16:
        return None
    for m in rec.members:
        if m.name == name:
            if not _fields_compatible(lb, local_member_type, tb, m.type):
                return None
            return m.type, m.bit_offset, m.bitfield_size
    for m in rec.members:
        if not m.name:
            found = _find_member(tb, m.type, name, lb, local_member_type, depth + 1)
            if found is not None:
                return found[0], m.bit_offset + found[1], found[2]
    return None


def _match_field(local: _Spec, tb: Btf, cand: int) -> _Spec | None:
    lb = local.btf
    tid = tb.resolve(cand)
    first = local.accs[0]
    bit = first.idx * tb.size_of(tid) * 8
    bits = 0
    for acc in local.accs[1:]:
        rec = tb[tb.resolve(tid)]
        if acc.name is not None:
            lrec = lb[acc.type_id]
            assert isinstance(lrec, T.Composite)
            lmember_type = lrec.members[acc.idx].type
            found = _find_member(tb, tid, acc.name, lb, lmember_type)
            if found is None:
                return None
            tid, off, bits = found
            bit += off
        else:
            if not isinstance(rec, T.Array):
                return None
            if rec.nelems and acc.idx >= rec.nelems:
                return None
            bit += acc.idx * tb.size_of(rec.type) * 8
            bits = 0
            tid = rec.type
    if len(local.accs) == 1 and not _fields_compatible(lb, local.field_type, tb, tid):
        return None
    return _Spec(tb, cand, [], bit, tid, bits)


# -- values -----------------------------------------------------------------------------
def _size_class(btf: Btf, type_id: int) -> str:
    """How a field of another size may still be loaded: 'ptr', 'uint' or 'other'."""
    rec = btf[btf.resolve(type_id)]
    if isinstance(rec, T.Ptr):
        return "ptr"
    if isinstance(rec, T.Int) and not rec.signed:
        return "uint"
    return "other"


def _field_value(spec: _Spec, kind: CoreKind) -> tuple[int, int, bool]:
    """(value, field byte size, signed) of a field relocation on a matched spec."""
    btf = spec.btf
    mt = btf.resolve(spec.field_type)
    rec = btf[mt]
    bit_off = spec.bit_offset
    if spec.bitfield_size:
        bit_sz = spec.bitfield_size
        byte_sz = btf.size_of(mt)
        byte_off = bit_off // 8 // byte_sz * byte_sz
        while bit_off + bit_sz - byte_off * 8 > byte_sz * 8:
            if byte_sz >= 8:
                raise ElfError("CO-RE: bitfield does not fit in 8 bytes")
            byte_sz *= 2
            byte_off = bit_off // 8 // byte_sz * byte_sz
    else:
        byte_sz = btf.size_of(mt)
        byte_off = bit_off // 8
        bit_sz = byte_sz * 8
    signed = (isinstance(rec, T.Enum) and rec.signed) or (isinstance(rec, T.Int) and rec.signed)
    if kind is CoreKind.FIELD_BYTE_OFFSET:
        val = byte_off
    elif kind is CoreKind.FIELD_BYTE_SIZE:
        val = byte_sz
    elif kind is CoreKind.FIELD_EXISTS:
        val = 1
    elif kind is CoreKind.FIELD_SIGNED:
        val = int(signed)
    elif kind is CoreKind.FIELD_LSHIFT_U64:
        val = 64 - (bit_off + bit_sz - byte_off * 8)
    else:  # FIELD_RSHIFT_U64
        val = 64 - bit_sz
    return val, byte_sz, signed


def _types_match(lb: Btf, lid: int, tb: Btf, tid: int, depth: int = 0) -> bool:
    """A conservative version of libbpf's bpf_core_types_match."""
    lid, tid = lb.resolve(lid), tb.resolve(tid)
    lk, tk = _kind(lb, lid), _kind(tb, tid)
    if depth > 8:
        return True
    if _any_enum(lk) and _any_enum(tk):
        lr, tr = lb[lid], tb[tid]
        assert isinstance(lr, T.Enum) and isinstance(tr, T.Enum)
        tnames = {essential_name(e.name) for e in tr.values}
        return lr.size == tr.size and all(essential_name(e.name) in tnames for e in lr.values)
    if lk != tk:
        return False
    if lk in (Kind.STRUCT, Kind.UNION):
        lr, tr = lb[lid], tb[tid]
        assert isinstance(lr, T.Composite) and isinstance(tr, T.Composite)
        tmembers = {m.name: m for m in tr.members}
        for m in lr.members:
            other = tmembers.get(m.name)
            if other is None or not _types_match(lb, m.type, tb, other.type, depth + 1):
                return False
        return True
    if lk == Kind.INT:
        li, ti = lb[lid], tb[tid]
        assert isinstance(li, T.Int) and isinstance(ti, T.Int)
        return li.size == ti.size and li.signed == ti.signed
    if lk == Kind.PTR:
        lp, tp = lb[lid], tb[tid]
        assert isinstance(lp, T.Ptr) and isinstance(tp, T.Ptr)
        return _types_match(lb, lp.type, tb, tp.type, depth + 1)
    if lk == Kind.ARRAY:
        la, ta = lb[lid], tb[tid]
        assert isinstance(la, T.Array) and isinstance(ta, T.Array)
        return la.nelems == ta.nelems and _types_match(lb, la.type, tb, ta.type, depth + 1)
    return True


def _candidates(local: Btf, local_id: int, target: Btf) -> list[int]:
    name = local.type_name(local_id)
    kind = _kind(local, local_id)
    ess = essential_name(name)
    kinds = (Kind.ENUM, Kind.ENUM64) if _any_enum(kind) else (kind,)
    out: list[int] = []
    for k in kinds:
        out += target.find_all(ess, k)
    return out


def resolve_relo(local: Btf, target: Btf, relo: CoreRelo) -> CoreResult:
    """Resolve one relocation of ``local`` (object BTF) against ``target`` (kernel BTF)."""
    kind = relo.kind
    spec = _parse_local(local, relo)
    lname = local.type_name(relo.type_id)
    if kind is CoreKind.TYPE_ID_LOCAL:
        return CoreResult(relo.type_id, relo.type_id)
    if not lname:
        raise ElfError(f"CO-RE relocation on an anonymous type (id {relo.type_id}) "
                       "cannot be matched by name")
    if is_field(kind):
        lval, lsize, _ = _field_value(spec, kind)
    elif is_enumval(kind):
        lrec = local[local.resolve(relo.type_id)]
        idx = int(relo.access)
        if not isinstance(lrec, T.Enum) or idx >= len(lrec.values):
            raise ElfError(f"CO-RE enum relocation: bad enumerator index {idx} in {lname}")
        lval = 1 if kind is CoreKind.ENUMVAL_EXISTS else lrec.values[idx].value
        lsize = 0
    else:
        lval = {CoreKind.TYPE_ID_TARGET: relo.type_id, CoreKind.TYPE_SIZE: 0}.get(kind, 1)
        if kind is CoreKind.TYPE_SIZE:
            lval = local.size_of(relo.type_id)
        lsize = 0
    results: set[tuple[int, int, bool]] = set()
    for cand in _candidates(local, relo.type_id, target):
        try:
            if is_field(kind):
                matched = _match_field(spec, target, cand)
                if matched is None:
                    continue
                results.add(_field_value(matched, kind))
            elif is_enumval(kind):
                lrec = local[local.resolve(relo.type_id)]
                assert isinstance(lrec, T.Enum)
                want = essential_name(lrec.values[int(relo.access)].name)
                trec = target[target.resolve(cand)]
                assert isinstance(trec, T.Enum)
                for e in trec.values:
                    if essential_name(e.name) == want:
                        results.add((1 if kind is CoreKind.ENUMVAL_EXISTS else e.value, 0, False))
                        break
            elif kind is CoreKind.TYPE_MATCHES:
                if _types_match(local, relo.type_id, target, cand):
                    results.add((1, 0, False))
            else:
                if kind is CoreKind.TYPE_ID_TARGET:
                    results.add((cand, 0, False))
                elif kind is CoreKind.TYPE_SIZE:
                    results.add((target.size_of(cand), 0, False))
                else:
                    results.add((1, 0, False))
        except BtfError:
            continue
    if not results:
        if is_existence(kind):
            return CoreResult(lval, 0)
        return CoreResult(lval, 0, poison=True, local_size=lsize,
                          reason=f"no kernel type matches {_describe(local, relo)}")
    if len({r[0] for r in results}) > 1:
        raise ElfError(f"CO-RE relocation {_describe(local, relo)} is ambiguous: kernel "
                       f"candidates give {sorted(r[0] for r in results)}")
    val, size, signed = next(iter(results))
    validate = not (is_field(kind) and spec.bitfield_size)
    fail_memsz = False
    if kind is CoreKind.FIELD_BYTE_OFFSET and lsize != size:
        # libbpf lets a load change size only for pointers and unsigned integers
        lcls = _size_class(local, spec.field_type)
        tcls = {_size_class(target, t) for t in _target_field_types(spec, target, relo)}
        fail_memsz = not (tcls == {lcls} and lcls in ("ptr", "uint"))
    return CoreResult(lval, val, local_size=lsize, target_size=size, target_signed=signed,
                      validate=validate, fail_memsz_adjust=fail_memsz)


def _target_field_types(spec: _Spec, target: Btf, relo: CoreRelo) -> list[int]:
    """The field type of every matching kernel candidate."""
    out = []
    for cand in _candidates(spec.btf, relo.type_id, target):
        try:
            matched = _match_field(spec, target, cand)
        except BtfError:
            continue
        if matched is not None:
            out.append(matched.field_type)
    return out


def _describe(local: Btf, relo: CoreRelo) -> str:
    return (f"{relo.kind.name.lower()} of {local.type_name(relo.type_id) or '(anon)'} "
            f"access {relo.access}")


def patch_insn(insn: Insn, res: CoreResult, relo: CoreRelo, where: str) -> Insn | None:
    """The instruction with the resolved value put in place, as libbpf patches it, or
    None when libbpf would poison it instead (a load whose size cannot be adjusted).

    Raises `ElfError` where libbpf refuses the object (the instruction does not hold
    the local value clang computed, or has an unexpected size).
    """
    cls = insn.opcode & 0x07
    if insn.opcode == LDDW:
        if res.validate and insn.imm != res.local:
            raise ElfError(f"{where}: CO-RE: instruction has {insn.imm}, expected the local "
                           f"value {res.local}")
        return insn.replace(imm=res.target)
    if cls in (Class.ALU, Class.ALU64):
        if insn.opcode & 0x08:
            raise ElfError(f"{where}: CO-RE relocation on an ALU instruction with a register "
                           "source")
        if res.validate and (insn.imm & 0xFFFFFFFF) != (res.local & 0xFFFFFFFF):
            raise ElfError(f"{where}: CO-RE: instruction has {insn.imm}, expected the local "
                           f"value {res.local}")
        if not -(1 << 31) <= res.target < (1 << 32):
            raise ElfError(f"{where}: CO-RE value {res.target} does not fit in 32 bits")
        return insn.replace(imm=res.target)
    if cls in (Class.LDX, Class.ST, Class.STX):
        if res.validate and insn.off != res.local:
            raise ElfError(f"{where}: CO-RE: instruction has offset {insn.off}, expected the "
                           f"local value {res.local}")
        if res.fail_memsz_adjust:
            return None
        if not -(1 << 15) <= res.target < (1 << 15):
            raise ElfError(f"{where}: CO-RE offset {res.target} does not fit in 16 bits")
        new = insn.replace(off=res.target)
        mode = insn.opcode & 0xE0
        if (relo.kind is CoreKind.FIELD_BYTE_OFFSET and res.target_size and res.local_size
                and res.target_size != res.local_size and mode in (Mode.MEM, Mode.MEMSX)):
            cur = SIZE_BYTES[Size(insn.opcode & 0x18)]
            if cur != res.local_size:
                raise ElfError(f"{where}: CO-RE: access size {cur} differs from the local field "
                               f"size {res.local_size}")
            if res.target_size not in SIZE_OF_BYTES:
                raise ElfError(f"{where}: CO-RE: kernel field size {res.target_size} cannot be "
                               "loaded by adjusting the instruction")
            new = new.replace(opcode=(insn.opcode & ~0x18) | SIZE_OF_BYTES[res.target_size])
        return new
    raise ElfError(f"{where}: CO-RE relocation on an instruction that takes no constant "
                   f"(opcode {insn.opcode:#04x})")


def poison_insns(insn: Insn) -> list[Insn]:
    """The poisoned replacement for ``insn``, the same number of slots long."""
    call = Insn(CALL, imm=POISON_HELPER)
    return [call, call] if insn.opcode == LDDW else [call]
