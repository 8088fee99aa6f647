"""bpftrace's language parsed into the DSL's Python AST.

A script is a list of probes: attach points (comma-separated), an optional ``/predicate/``
and a block. Each probe becomes a Python function ``def probeN(ctx): ...`` whose statements
are DSL statements, with the script's lines and columns on every node, so the DSL compiler
(and the verifier, and the kernel's rejections) report errors at the script's line:

===============================  =========================================
bpftrace                         DSL (Python AST)
===============================  =========================================
``@name[k1, k2] = count()``      ``_at.name[k1, k2] = count()``
``@ = hist(x)``                  ``_at[()] = hist(x)`` (the map ``@``, no key)
``$x = e``                       ``_v_x = e``
``pid comm nsecs elapsed ...``   ``pid() comm() nsecs() elapsed() ...``
``args->f``, ``args.f``          ``ctx.f``
``retval``, ``arg0``             ``ctx.retval``, ``ctx.arg0``
``probe``, ``func``              ``probe_name()``, ``func()``
``/pred/ { ... }``               ``if pred: ...``
``c ? a : b``                    ``a if c else b``
``a / b``                        ``a // b`` (C division)
``(uint32)x``, ``(struct t *)p`` ``u32(x)``, ``kptr("t", p)``
``*p``, ``*(uint16 *)p``          ``deref(p)``, ``deref(p, u16)``
``delete(@m[k])``                ``del _at.m[k]``
``time("%H\\n")``                 ``print_time("%H\\n")``
``unroll (3) { }``               ``for _ in range(3): ...``
===============================  =========================================

>>> script = parse("BEGIN { printf(\\"hi\\\\n\\"); }\\nkprobe:f /pid == 1/ { @x[comm] = count(); }")
>>> [(p.attach, p.line) for p in script.probes]
[(['BEGIN'], 1), (['kprobe:f'], 2)]
>>> import ast; print(ast.unparse(script.probes[1].tree))
def probe1(ctx):
    if pid() == 1:
        _at.x[comm()] = count()
"""

from __future__ import annotations

import ast

from .._record import field, record
from ..errors import ScriptError
from .lexer import Lexer, Token
from .preprocess import preprocess

__all__ = ["ProbeDef", "Script", "parse"]

AT = "_at"  # the namespace name of bpftrace's @maps
CTX = "ctx"

#: bpftrace builtins that are values: name -> DSL call
BUILTIN_CALLS = {"pid": "pid", "tid": "tid", "uid": "uid", "gid": "gid", "nsecs": "nsecs",
                 "elapsed": "elapsed", "cpu": "cpu", "comm": "comm", "kstack": "kstack",
                 "ustack": "ustack", "curtask": "curtask", "rand": "rand", "cgroup": "cgroup",
                 "probe": "probe_name", "func": "func"}
#: bpftrace functions: name -> DSL call
FUNCTIONS = {"printf": "printf", "print": "print", "time": "print_time", "join": "join",
             "clear": "clear", "zero": "zero", "exit": "exit", "str": "str", "ksym": "ksym",
             "usym": "usym", "kaddr": "kaddr", "signal": "send_signal", "count": "count",
             "sum": "sum", "avg": "avg", "min": "min", "max": "max", "stats": "stats",
             "hist": "hist", "lhist": "lhist", "kstack": "kstack", "ustack": "ustack",
             "ntop": "ntop", "buf": "buf", "bswap": "bswap", "cat": "cat"}
UNSUPPORTED = {"system": "system() runs a shell command (bpftrace's --unsafe): not supported",
               "override": "override() needs kprobes",
               "reg": "reg() is not supported: use arg0..arg5, retval (ctx.ip, ctx.sp in the DSL)",
               "macaddr": "macaddr() is not supported", "path": "path() needs fentry (refused here)",
               "uaddr": "uaddr() is not supported", "strftime": "strftime() is not supported",
               "cgroupid": "cgroupid() is not supported", "sizeof": "sizeof() is not supported",
               "offsetof": "offsetof() is not supported", "strncmp": "strncmp() is not supported: "
               "compare with == to a literal", "username": "username is not supported"}
CASTS = {"int8": "s8", "int16": "s16", "int32": "s32", "int64": "s64", "uint8": "u8",
         "uint16": "u16", "uint32": "u32", "uint64": "u64", "char": "u8", "int": "s32",
         "unsigned": "u32", "long": "s64", "short": "s16", "bool": "u8"}
_BINOPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.FloorDiv, "%": ast.Mod,
           "&": ast.BitAnd, "|": ast.BitOr, "^": ast.BitXor, "<<": ast.LShift, ">>": ast.RShift}
_CMPS = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}
_LEVELS = [["|"], ["^"], ["&"], ["==", "!="], ["<", "<=", ">", ">="], ["<<", ">>"], ["+", "-"],
           ["*", "/", "%"]]
_ASSIGN_OPS = {"+=": ast.Add, "-=": ast.Sub, "*=": ast.Mult, "/=": ast.FloorDiv, "%=": ast.Mod,
               "&=": ast.BitAnd, "|=": ast.BitOr, "^=": ast.BitXor, "<<=": ast.LShift,
               ">>=": ast.RShift}


@record()
class ProbeDef:
    """One probe of a script: its attach points as written, and its function's tree."""

    attach: list[str]
    tree: ast.FunctionDef
    line: int
    col: int


@record()
class Script:
    """A parsed script: its probes, its file name and text, its positional parameters."""

    probes: list[ProbeDef]
    filename: str
    text: str
    macros: dict[str, str] = field(default_factory=dict)


def parse(text: str, filename: str = "<program>", params: list[str] | None = None) -> Script:
    """Parse a bpftrace script (raises `ScriptError` at the line and column)."""
    body, macros = preprocess(text, filename)
    p = _Parser(Lexer(body, filename), macros, params or [])
    p.lex.text = body
    probes = p.script()
    return Script(probes, filename, text, macros)


TYPE_CHECKING = False  # (not typing's: start-up of pybpf trace)
if TYPE_CHECKING:
    from typing import TypeVar

    _Node = TypeVar("_Node", bound=ast.AST)


def _at(node: _Node, tok: Token) -> _Node:
    node.lineno = node.end_lineno = tok.line  # type: ignore[attr-defined]  # every node given is a stmt or expr
    node.col_offset = node.end_col_offset = tok.col - 1  # type: ignore[attr-defined]  # (they carry positions)
    return node


class _Parser:
    def __init__(self, lex: Lexer, macros: dict[str, str], params: list[str]) -> None:
        self.lex = lex
        self.macros = macros
        self.params = params
        self.in_predicate = False
        self.loops = 0

    # -- helpers -------------------------------------------------------------------------------
    def error(self, message: str, tok: Token | None = None) -> ScriptError:
        tok = tok or self.lex.peek()
        return self.lex.error(message, tok.line, tok.col)

    def expect(self, text: str) -> Token:
        tok = self.lex.next()
        if tok.text != text or tok.kind not in ("op", "ident"):
            shown = tok.text or "the end of the script"
            raise self.error(f"expected {text!r}, found {shown!r}", tok)
        return tok

    def accept(self, text: str) -> Token | None:
        tok = self.lex.peek()
        if tok.kind == "op" and tok.text == text:
            return self.lex.next()
        return None

    def name(self, tok: Token, ident: str, load: bool = True) -> ast.Name:
        return _at(ast.Name(ident, ast.Load() if load else ast.Store()), tok)

    def call(self, tok: Token, fn: str, args: list[ast.expr]) -> ast.Call:
        return _at(ast.Call(self.name(tok, fn), args, []), tok)

    # -- script ----------------------------------------------------------------------------------
    def script(self) -> list[ProbeDef]:
        probes: list[ProbeDef] = []
        while True:
            self.lex.skip_space()
            if self.lex.pos >= len(self.lex.text):
                break
            if self.lex.text.startswith("struct", self.lex.pos) or \
                    self.lex.text.startswith("union", self.lex.pos):
                self._skip_struct()
                continue
            probes.append(self.probe(len(probes)))
        if not probes:
            raise self.lex.error("the script has no probe", 1, 1)
        return probes

    def _skip_struct(self) -> None:
        """A struct definition at the top level: kernel types come from BTF, so it is read
        and dropped."""
        tok = self.lex.next()
        depth = 0
        while True:
            t = self.lex.next()
            if t.kind == "eof":
                raise self.error("unterminated struct definition", tok)
            if t.text == "{":
                depth += 1
            elif t.text == "}":
                depth -= 1
            elif t.text == ";" and depth == 0:
                return

    def probe(self, index: int) -> ProbeDef:
        points: list[Token] = []
        while True:
            tok = self.lex.attach_point()
            points.append(tok)
            self.lex.skip_space()
            if self.lex.text.startswith(",", self.lex.pos):
                self.lex._advance(1)
                continue
            break
        first = points[0]
        pred: ast.expr | None = None
        self.lex.skip_space()
        if self.lex.text.startswith("/", self.lex.pos):
            self.lex.next()  # the opening /
            self.in_predicate = True
            pred = self.expr()
            self.in_predicate = False
            self.expect("/")
        body = self.block()
        if pred is not None:
            body = [_at(ast.If(pred, body or [ast.Pass()], []), first)]
        args = ast.arguments(posonlyargs=[], args=[ast.arg(CTX)], kwonlyargs=[], kw_defaults=[],
                             defaults=[])
        fdef = ast.FunctionDef(f"probe{index}", args, body or [_at(ast.Pass(), first)], [], None)
        _at(fdef, first)
        ast.fix_missing_locations(fdef)
        return ProbeDef([t.text for t in points], fdef, first.line, first.col)

    # -- statements --------------------------------------------------------------------------------
    def block(self) -> list[ast.stmt]:
        self.expect("{")
        out: list[ast.stmt] = []
        while not self.accept("}"):
            tok = self.lex.peek()
            if tok.kind == "eof":
                raise self.error("missing '}' at the end of the script", tok)
            if self.accept(";"):
                continue
            out.extend(self.statement())
        return out

    def statement(self) -> list[ast.stmt]:
        tok = self.lex.peek()
        if tok.kind == "ident" and tok.text == "if":
            return [self.if_stmt()]
        if tok.kind == "ident" and tok.text == "unroll":
            self.lex.next()
            self.expect("(")
            n = self.lex.next()
            if n.kind != "int":
                raise self.error("unroll takes a constant count: unroll (5) { ... }", n)
            self.expect(")")
            body = self.block()
            counter = self.name(tok, f"_unroll{self.loops}", load=False)
            self.loops += 1
            rng = self.call(tok, "range", [_at(ast.Constant(n.value), n)])
            return [_at(ast.For(counter, rng, body or [ast.Pass()], []), tok)]
        if tok.kind == "ident" and tok.text == "while":
            self.lex.next()
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            self.loops += 1
            body = self.block()
            return [_at(ast.While(cond, body or [ast.Pass()], []), tok)]
        if tok.kind == "ident" and tok.text in ("break", "continue"):
            self.lex.next()
            self._end_statement()
            return [_at(ast.Break() if tok.text == "break" else ast.Continue(), tok)]
        if tok.kind == "ident" and tok.text == "return":
            self.lex.next()
            self._end_statement()
            return [_at(ast.Return(_at(ast.Constant(0), tok)), tok)]
        if tok.kind == "op" and tok.text == "{":
            return self.block()
        if tok.kind == "ident" and tok.text == "delete":
            self.lex.next()
            self.expect("(")
            targets: list[ast.expr] = [self._store(self.expr(), tok)]
            while self.accept(","):
                targets.append(self._store(self.expr(), tok))
            self.expect(")")
            self._end_statement()
            return [_at(ast.Delete(targets), tok)]
        if tok.kind == "op" and tok.text in ("++", "--"):
            self.lex.next()
            target = self.postfix()
            self._end_statement()
            return [self._incdec(target, tok.text, tok)]
        target = self.expr()
        nxt = self.lex.peek()
        if nxt.kind == "op" and nxt.text == "=":
            self.lex.next()
            value = self.expr()
            self._end_statement()
            return [_at(ast.Assign([self._store(target, nxt)], value), tok)]
        if nxt.kind == "op" and nxt.text in _ASSIGN_OPS:
            self.lex.next()
            value = self.expr()
            self._end_statement()
            return [_at(ast.AugAssign(self._store(target, nxt), _ASSIGN_OPS[nxt.text](), value),
                        tok)]
        if nxt.kind == "op" and nxt.text in ("++", "--"):
            self.lex.next()
            self._end_statement()
            return [self._incdec(target, nxt.text, tok)]
        self._end_statement()
        return [_at(ast.Expr(target), tok)]

    def _incdec(self, target: ast.expr, op: str, tok: Token) -> ast.stmt:
        return _at(ast.AugAssign(self._store(target, tok), ast.Add() if op == "++" else ast.Sub(),
                                 _at(ast.Constant(1), tok)), tok)

    def _end_statement(self) -> None:
        tok = self.lex.peek()
        if tok.kind == "op" and tok.text == "}":
            return
        if tok.kind == "eof":
            raise self.error("missing '}' at the end of the script", tok)
        if not self.accept(";"):
            raise self.error(f"expected ';' after the statement, found {tok.text or 'the end'!r}",
                             tok)

    def _store(self, node: ast.expr, tok: Token) -> ast.Name | ast.Subscript | ast.Attribute:
        if isinstance(node, ast.Name) and node.id.startswith("_v_"):
            node.ctx = ast.Store()
            return node
        if isinstance(node, (ast.Subscript, ast.Attribute)) and _is_map(node):
            node.ctx = ast.Store() if not isinstance(node, ast.Subscript) else ast.Store()
            return node
        raise self.error("only variables ($x) and maps (@m, @m[k]) can be assigned", tok)

    def if_stmt(self) -> ast.stmt:
        tok = self.lex.next()
        self.expect("(")
        cond = self.expr()
        self.expect(")")
        body = self.block()
        orelse: list[ast.stmt] = []
        nxt = self.lex.peek()
        if nxt.kind == "ident" and nxt.text == "else":
            self.lex.next()
            after = self.lex.peek()
            orelse = [self.if_stmt()] if after.kind == "ident" and after.text == "if" else self.block()
        return _at(ast.If(cond, body or [ast.Pass()], orelse), tok)

    # -- expressions -------------------------------------------------------------------------------
    def expr(self) -> ast.expr:
        tok = self.lex.peek()
        cond = self.logical_or()
        if self.accept("?"):
            a = self.expr()
            self.expect(":")
            b = self.expr()
            return _at(ast.IfExp(cond, a, b), tok)
        return cond

    def logical_or(self) -> ast.expr:
        tok = self.lex.peek()
        values = [self.logical_and()]
        while self.accept("||"):
            values.append(self.logical_and())
        return values[0] if len(values) == 1 else _at(ast.BoolOp(ast.Or(), values), tok)

    def logical_and(self) -> ast.expr:
        tok = self.lex.peek()
        values = [self.binary(0)]
        while self.accept("&&"):
            values.append(self.binary(0))
        return values[0] if len(values) == 1 else _at(ast.BoolOp(ast.And(), values), tok)

    def binary(self, level: int) -> ast.expr:
        if level == len(_LEVELS):
            return self.unary()
        tok = self.lex.peek()
        left = self.binary(level + 1)
        while True:
            op = self.lex.peek()
            if op.kind != "op" or op.text not in _LEVELS[level]:
                return left
            if op.text == "/" and self.in_predicate and self.lex.rest_of_line_starts_with("{") or \
                    op.text == "/" and self.in_predicate and self._closes_predicate():
                return left
            self.lex.next()
            right = self.binary(level + 1)
            if op.text in _CMPS:
                left = _at(ast.Compare(left, [_CMPS[op.text]()], [right]), tok)
            else:
                left = _at(ast.BinOp(left, _BINOPS[op.text](), right), tok)

    def _closes_predicate(self) -> bool:
        """A ``/`` in a predicate closes it when a block follows (after spaces or newlines)."""
        save = (self.lex.pos, self.lex.line, self.lex.line_start)
        self.lex.skip_space()
        closing = self.lex.text.startswith("{", self.lex.pos)
        self.lex.pos, self.lex.line, self.lex.line_start = save
        return closing

    def unary(self) -> ast.expr:
        tok = self.lex.peek()
        if tok.kind == "op":
            if tok.text in ("!", "-", "~", "+"):
                self.lex.next()
                operand = self.unary()
                op = {"!": ast.Not, "-": ast.USub, "~": ast.Invert, "+": ast.UAdd}[tok.text]()
                if isinstance(op, ast.USub) and isinstance(operand, ast.Constant) \
                        and isinstance(operand.value, int):
                    return _at(ast.Constant(-operand.value), tok)
                return _at(ast.UnaryOp(op, operand), tok)
            if tok.text == "*":  # *p, *(uint32 *)p: deref(p), deref(p, u32)
                self.lex.next()
                operand = self.unary()
                args = [operand]
                pointee = getattr(operand, "pointee", None)
                if pointee is not None:
                    args = [operand.args[0], self.name(tok, pointee)]  # type: ignore[attr-defined]  # a cast's call
                return self.call(tok, "deref", args)
            if tok.text == "&":
                raise self.error("taking an address (&x) is not supported", tok)
            if tok.text == "(" and self._is_cast():
                return self.cast()
        return self.postfix()

    def _is_cast(self) -> bool:
        save = (self.lex.pos, self.lex.line, self.lex.line_start, self.lex._peeked)
        self.lex.next()  # (
        t = self.lex.next()
        ok = t.kind == "ident" and (t.text in ("struct", "union") or t.text in CASTS)
        if ok and t.text in CASTS:
            while self.lex.peek().kind == "ident" and self.lex.peek().text in CASTS:
                self.lex.next()
            while self.accept("*"):
                pass
            ok = self.lex.peek().text == ")"
        self.lex.pos, self.lex.line, self.lex.line_start, self.lex._peeked = save
        return ok

    def cast(self) -> ast.expr:
        tok = self.expect("(")
        t = self.lex.next()
        if t.text in ("struct", "union"):
            name = self.lex.next()
            stars = 0
            while self.accept("*"):
                stars += 1
            self.expect(")")
            value = self.unary()
            if stars != 1:
                raise self.error(f"cast to {t.text} {name.text}: only pointers to structs "
                                 f"({t.text} {name.text} *) can be cast to", name)
            return self.call(tok, "kptr", [_at(ast.Constant(name.text), name), value])
        words = [t.text]
        while self.lex.peek().kind == "ident" and self.lex.peek().text in CASTS:
            words.append(self.lex.next().text)
        stars = 0
        while self.accept("*"):
            stars += 1
        self.expect(")")
        value = self.unary()
        if stars:
            cast = self.call(tok, "u64", [value])
            if stars == 1:  # what *(T *)p reads
                typ = CASTS[words[-1]]
                cast.pointee = "u" + typ[1:] if "unsigned" in words and typ.startswith("s") else typ  # type: ignore[attr-defined]  # read by unary()
            return cast
        typ = CASTS[words[-1]]
        if "unsigned" in words and typ.startswith("s"):
            typ = "u" + typ[1:]
        return self.call(tok, typ, [value])

    def postfix(self) -> ast.expr:
        node = self.primary()
        while True:
            tok = self.lex.peek()
            if tok.kind != "op":
                return node
            if tok.text in ("->", "."):
                self.lex.next()
                field = self.lex.next()
                if field.kind != "ident":
                    raise self.error(f"expected a field name after {tok.text}", field)
                node = _at(ast.Attribute(node, field.text, ast.Load()), tok)
            elif tok.text == "[":
                self.lex.next()
                idx = self.expr()
                self.expect("]")
                node = _at(ast.Subscript(node, idx, ast.Load()), tok)
            else:
                return node

    def primary(self) -> ast.expr:
        tok = self.lex.next()
        if tok.kind == "int":
            return _at(ast.Constant(tok.value), tok)
        if tok.kind == "str":
            return _at(ast.Constant(tok.value), tok)
        if tok.kind == "var":
            return self.name(tok, f"_v_{tok.text}")
        if tok.kind == "param":
            return self.param(tok)
        if tok.kind == "map":
            base: ast.expr = self.name(tok, AT)
            if tok.text:
                base = _at(ast.Attribute(base, tok.text, ast.Load()), tok)
            if self.lex.peek().text == "[" and self.lex.peek().kind == "op":
                self.lex.next()
                keys = [self.expr()]
                while self.accept(","):
                    keys.append(self.expr())
                self.expect("]")
                key = keys[0] if len(keys) == 1 else _at(ast.Tuple(keys, ast.Load()), tok)
                return _at(ast.Subscript(base, key, ast.Load()), tok)
            if not tok.text:  # the map @ without a key: _at[()]
                empty = _at(ast.Tuple([], ast.Load()), tok)
                return _at(ast.Subscript(base, empty, ast.Load()), tok)
            return base
        if tok.kind == "op" and tok.text == "(":
            first = self.expr()
            if self.accept(","):
                elts = [first, self.expr()]
                while self.accept(","):
                    elts.append(self.expr())
                self.expect(")")
                return _at(ast.Tuple(elts, ast.Load()), tok)
            self.expect(")")
            return first
        if tok.kind == "ident":
            return self.identifier(tok)
        raise self.error(f"unexpected {tok.text or 'end of the script'!r}", tok)

    def param(self, tok: Token) -> ast.expr:
        if tok.text == "#":
            return _at(ast.Constant(len(self.params)), tok)
        n = int(tok.text)
        if n == 0 or n > len(self.params):
            raise self.error(f"${n}: the program has {len(self.params)} positional parameter"
                             f"{'s' if len(self.params) != 1 else ''}", tok)
        text = self.params[n - 1]
        try:
            return _at(ast.Constant(int(text, 0)), tok)
        except ValueError:
            return _at(ast.Constant(text), tok)

    def identifier(self, tok: Token) -> ast.expr:
        name = tok.text
        nxt = self.lex.peek()
        is_call = nxt.kind == "op" and nxt.text == "("
        if name in self.macros:
            sub = Lexer(self.macros[name], self.lex.filename).next()
            if sub.kind == "int":
                return _at(ast.Constant(sub.value), tok)
            if sub.kind == "str":
                return _at(ast.Constant(sub.value), tok)
        if name in UNSUPPORTED:
            raise self.error(UNSUPPORTED[name], tok)
        if is_call:
            if name not in FUNCTIONS:
                raise self.error(f"unknown function {name}()", tok)
            self.lex.next()
            args: list[ast.expr] = []
            if not self.accept(")"):
                args.append(self.expr())
                while self.accept(","):
                    args.append(self.expr())
                self.expect(")")
            if name == "kstack" or name == "ustack":
                args = [a for a in args if not (isinstance(a, ast.Name) and a.id in ("_v_perf",))]
            return self.call(tok, FUNCTIONS[name], args)
        if name == "args":
            return self.name(tok, CTX)
        if name == "retval":
            return _at(ast.Attribute(self.name(tok, CTX), "retval", ast.Load()), tok)
        if len(name) > 3 and name.startswith("arg") and name[3:].isdigit():
            return _at(ast.Attribute(self.name(tok, CTX), name, ast.Load()), tok)
        if name in BUILTIN_CALLS:
            return self.call(tok, BUILTIN_CALLS[name], [])
        if name in ("true", "false"):
            return _at(ast.Constant(1 if name == "true" else 0), tok)
        value = kernel_enums().get(name)
        if value is not None:  # an enumerator of the kernel's BTF (TCP_CLOSE, SKB_DROP_...)
            return _at(ast.Constant(value), tok)
        raise self.error(f"unknown identifier {name!r} (not a bpftrace builtin, not a kernel "
                         "enumerator: a macro from a C header?)", tok)


_ENUMS: dict[str, int] | None = None


def kernel_enums() -> dict[str, int]:
    """Every enumerator of the running kernel's BTF, by name (read once)."""
    global _ENUMS
    if _ENUMS is None:
        from ..btf import vmlinux
        from ..btf.format import Kind

        _ENUMS = {}
        try:
            btf = vmlinux()
        except Exception:  # noqa: BLE001 - no BTF: no enumerators
            return _ENUMS
        for tid in range(1, len(btf)):  # ids 1 .. nr_types - 1 (0 is void)
            if btf.kind(tid) in (Kind.ENUM, Kind.ENUM64):
                for e in btf[tid].values:  # type: ignore[union-attr]  # ENUM and ENUM64 records have values
                    _ENUMS.setdefault(e.name, e.value)
    return _ENUMS


def _is_map(node: ast.expr) -> bool:
    base = node.value if isinstance(node, ast.Subscript) else node
    while isinstance(base, ast.Attribute):
        base = base.value
    return isinstance(base, ast.Name) and base.id == AT
