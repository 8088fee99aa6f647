"""Declarators for the C printer: how ``T x`` is spelled for any BTF type ``T`` (libbpf's
btf_dump_emit_type_decl), with the text around the name cached per type where it can be.

`Declarators` is a mixin of `pybpf.btf.cprint.CPrinter`, which supplies the flat table
(``t``), the output list (``out``), the caches (``parts``, ``bare``, ``plain``), the name
resolution (``type_name``, ``ident_name``) and the inline definitions of anonymous types
(``_struct_def``, ``_enum_def``).

>>> from pybpf.btf.writer import BtfBuilder
>>> from pybpf.btf import Btf, CPrinter
>>> b = BtfBuilder(); i = b.add_int("int", 4, 1); a = b.add_array(i, i, 4)
>>> p = CPrinter(Btf(b.encode())); p._decl(a, "xs", 0); p.out   # cached: int + xs + [4]
['int xs[4]']
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BtfError
from .flat import (
    K_ARRAY,
    K_CONST,
    K_ENUM,
    K_ENUM64,
    K_FLOAT,
    K_FUNC_PROTO,
    K_FWD,
    K_INT,
    K_PTR,
    K_RESTRICT,
    K_STRUCT,
    K_TYPE_TAG,
    K_TYPEDEF,
    K_UNION,
    K_VOLATILE,
)
from .format import Kind

if TYPE_CHECKING:
    from .flat import FlatTable
    from .parse import Btf

_QUALS = {K_CONST: "const ", K_VOLATILE: "volatile ", K_RESTRICT: "restrict "}
MODIFIER_KINDS = frozenset({K_VOLATILE, K_CONST, K_RESTRICT, K_TYPE_TAG})


class Declarators:
    """Declarations of a name with a BTF type (a mixin of `CPrinter`)."""

    btf: Btf
    t: FlatTable
    out: list[str]
    parts: list
    bare: list
    plain: list
    budget: int

    if TYPE_CHECKING:  # supplied by CPrinter (declared for the type checker only)
        def ident_name(self, tid: int) -> str: ...
        def _struct_fwd(self, tid: int) -> str: ...
        def _fwd_def(self, tid: int) -> str: ...
        def _enum_fwd(self, tid: int) -> str: ...
        def _enum_def(self, tid: int, lvl: int) -> None: ...
        def _struct_def(self, tid: int, lvl: int) -> None: ...

    def _is_plain(self, tid: int) -> bool:
        """Whether a declaration of ``tid`` prints no anonymous struct/union/enum inline (so its
        text does not depend on the nesting level and has no side effects on names)."""
        st = self.plain
        s = st[tid]
        if s:
            return s == 1
        st[tid] = 2  # pessimistic while in progress: loops take the general path (and its error)
        t = self.t
        k = t.kind[tid]
        if k == K_INT or k == K_FLOAT or k == K_FWD or k == K_TYPEDEF:
            ok = True
        elif k == K_STRUCT or k == K_UNION or k == K_ENUM or k == K_ENUM64:
            ok = t.name_off[tid] != 0
        elif k == K_PTR or k == K_CONST or k == K_VOLATILE or k == K_RESTRICT or k == K_TYPE_TAG:
            ok = self._is_plain(t.word[tid])
        elif k == K_ARRAY:
            ok = self._is_plain(t.words_of[tid][t.pos[tid]])
        elif k == K_FUNC_PROTO:
            w, p, vlen = t.words_of[tid], t.pos[tid], t.info[tid] & 0xFFFF
            ok = self._is_plain(t.word[tid]) and all(self._is_plain(x) for x in w[p + 1:p + 2 * vlen:2])
        else:
            ok = False
        st[tid] = 1 if ok else 2
        return ok

    def _render(self, tid: int, fname: str) -> str:
        """The general declarator's text for a plain type (no output side effects)."""
        saved, self.out = self.out, []
        try:
            self._decl_general(tid, fname, 0)
            return "".join(self.out)
        finally:
            self.out = saved

    def _simple(self, tid: int, k: int) -> str | None:
        """The text of a type that is just a name ("int", "struct s", "u32"), or None."""
        if k == K_TYPEDEF:
            return self.ident_name(tid)
        if k == K_INT or k == K_FLOAT:
            return self.t.name(tid)
        if k == K_STRUCT or k == K_UNION:
            return self._struct_fwd(tid) if self.t.name_off[tid] else None
        if k == K_ENUM or k == K_ENUM64:
            return self._enum_fwd(tid) if self.t.name_off[tid] else None
        if k == K_FWD:
            return self._fwd_def(tid)
        return None

    def _cache_parts(self, tid: int) -> tuple[str, str] | bool:
        """``(before, after)`` the name in a declaration of ``tid`` (False: no such split)."""
        t = self.t
        kind, word = t.kind, t.word
        k = kind[tid]
        # quick forms: NAME x, NAME **x, void *x, const char *x, T x[N][M]
        if k == K_PTR:
            stars = 1
            r = word[tid]
            while r and kind[r] == K_PTR and stars < 8:
                stars += 1
                r = word[r]
            quals = ""
            while r and kind[r] in _QUALS and len(quals) < 64:  # printed innermost first
                quals = _QUALS[kind[r]] + quals
                r = word[r]
            base = "void" if r == 0 else self._simple(r, kind[r])
            if base is not None:
                parts: tuple[str, str] | bool = (f"{quals}{base} {'*' * stars}", "")
                self.parts[tid] = parts
                return parts
        elif k == K_ARRAY:
            w, p = t.words_of[tid], t.pos[tid]
            elem = w[p]
            inner = self.parts[elem]
            if inner is None:
                self.parts[tid] = False  # (an array of itself, in a bad blob, stops here)
                inner = self._cache_parts(elem)
            if inner and (not inner[1] or inner[1][0] == "["):
                parts = self.parts[tid] = (inner[0], f"[{w[p + 2]}]{inner[1]}")
                return parts
        elif tid:
            base = self._simple(tid, k)
            if base is not None:
                parts = self.parts[tid] = (base + " ", "")
                return parts
        parts = False
        if self._is_plain(tid):
            text = self._render(tid, "\x01")
            if text.count("\x01") == 1:
                before, after = text.split("\x01")
                parts = (before, after)
        self.parts[tid] = parts
        return parts

    def _decl(self, tid: int, fname: str, lvl: int) -> None:
        """A declaration of ``fname`` with type ``tid`` (libbpf's emit_type_decl)."""
        if fname:
            parts = self.parts[tid]
            if parts is None:
                parts = self._cache_parts(tid)
            if parts:
                self.out.append(parts[0] + fname + parts[1])
                return
        else:
            text = self.bare[tid]
            if text is None:
                parts = self.parts[tid]
                if parts is None:
                    parts = self._cache_parts(tid)
                if parts and not parts[1]:  # "int ", "char *": the text before the name, trimmed
                    text = parts[0][:-1] if parts[0][-1] == " " else parts[0]
                else:
                    text = self._render(tid, "") if self._is_plain(tid) else False
                self.bare[tid] = text
            if text is not False:
                self.out.append(text)
                return
        self._decl_general(tid, fname, lvl)

    def _decl_general(self, tid: int, fname: str, lvl: int) -> None:
        t = self.t
        kind, word = t.kind, t.word
        stack: list[int] = []
        while True:
            if tid in stack:
                raise BtfError(f"{self.btf.name}: declaration loop", type_id=tid)
            stack.append(tid)
            if tid == 0:
                break
            k = kind[tid]
            if k in (K_PTR, K_VOLATILE, K_CONST, K_RESTRICT, K_FUNC_PROTO, K_TYPE_TAG):
                tid = word[tid]
            elif k == K_ARRAY:
                tid = t.words_of[tid][t.pos[tid]]
            elif k in (K_INT, K_ENUM, K_ENUM64, K_FWD, K_STRUCT, K_UNION, K_TYPEDEF, K_FLOAT):
                break
            else:
                raise BtfError(f"{self.btf.name}: unexpected {Kind(k).name} in a declaration",
                               type_id=tid)
        self._chain(stack, fname, lvl)

    def _emit_mods(self, stack: list[int]) -> None:
        kind = self.t.kind
        out = self.out
        while stack:
            k = kind[stack[-1]]
            if k == K_VOLATILE:
                out.append("volatile ")
            elif k == K_CONST:
                out.append("const ")
            elif k == K_RESTRICT:
                out.append("restrict ")
            else:
                return
            stack.pop()

    def _drop_mods(self, stack: list[int]) -> None:
        kind = self.t.kind
        while stack and kind[stack[-1]] in MODIFIER_KINDS:
            stack.pop()

    def _chain(self, stack: list[int], fname: str, lvl: int) -> None:
        t = self.t
        out = self.out
        last_was_ptr = True
        while stack:
            tid = stack.pop()
            if tid == 0:
                self._emit_mods(stack)
                out.append("void")
                last_was_ptr = False
                continue
            k = t.kind[tid]
            if k == K_INT or k == K_FLOAT:
                if stack:
                    self._emit_mods(stack)
                out.append(t.name(tid))
            elif k == K_STRUCT or k == K_UNION:
                if stack:
                    self._emit_mods(stack)
                if t.name_off[tid]:
                    out.append(self._struct_fwd(tid))
                else:
                    self._struct_def(tid, lvl)
            elif k == K_ENUM or k == K_ENUM64:
                if stack:
                    self._emit_mods(stack)
                if t.name_off[tid]:
                    out.append(self._enum_fwd(tid))
                else:
                    self._enum_def(tid, lvl)
            elif k == K_FWD:
                if stack:
                    self._emit_mods(stack)
                out.append(self._fwd_def(tid))
            elif k == K_TYPEDEF:
                if stack:
                    self._emit_mods(stack)
                out.append(self.ident_name(tid))
            elif k == K_PTR:
                out.append("*" if last_was_ptr else " *")
            elif k == K_VOLATILE:
                out.append(" volatile")
            elif k == K_CONST:
                out.append(" const")
            elif k == K_RESTRICT:
                out.append(" restrict")
            elif k == K_TYPE_TAG:
                self._emit_mods(stack)
                out.append(f' __attribute__((btf_type_tag("{t.name(tid)}")))')
            elif k == K_ARRAY:
                nelems = t.words_of[tid][t.pos[tid] + 2]
                self._drop_mods(stack)
                if not stack:
                    if fname:
                        out.append(fname if last_was_ptr else " " + fname)
                    out.append(f"[{nelems}]")
                    return
                multidim = t.kind[stack[-1]] == K_ARRAY
                if fname and not last_was_ptr:
                    out.append(" ")
                if not multidim:
                    out.append("(")
                self._chain(stack, fname, lvl)
                if not multidim:
                    out.append(")")
                out.append(f"[{nelems}]")
                return
            elif k == K_FUNC_PROTO:
                self.budget -= 1
                if self.budget < 0:
                    raise BtfError(f"{self.btf.name}: type graph too large to print (nested "
                                   "function prototypes)", type_id=tid)
                self._drop_mods(stack)
                if stack:
                    out.append(" (")
                    self._chain(stack, fname, lvl)
                    out.append(")")
                elif fname:
                    out.append(fname if last_was_ptr else " " + fname)
                out.append("(")
                w, p, vlen = t.words_of[tid], t.pos[tid], t.info[tid] & 0xFFFF
                if vlen == 0 or (vlen == 1 and w[p + 1] == 0):
                    out.append("void)")
                    return
                string = self.t.string
                for i in range(vlen):
                    if i:
                        out.append(", ")
                    ptype = w[p + 2 * i + 1]
                    if i == vlen - 1 and ptype == 0:
                        out.append("...")
                        break
                    self._decl(ptype, string(w[p + 2 * i]), lvl)
                out.append(")")
                return
            else:
                raise BtfError(f"{self.btf.name}: unexpected {Kind(k).name} in a declaration",
                               type_id=tid)
            last_was_ptr = k == K_PTR
        if fname:
            out.append(fname if last_was_ptr else " " + fname)

