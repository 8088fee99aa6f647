"""Compile a probe function's Python AST to a `ProgramSpec`.

The function's own source is parsed with `ast`; every statement records its Python
line on the instructions it produces (``ProgramSpec.lines``), so errors, the verifier and
disassembly name the user's line.

>>> from pybpf.dsl import compile_probe, u64    # doctest: +SKIP
>>> def probe(ctx):
...     x: u64 = 1
...     return x + 1
>>> compile_probe(probe, "raw_tracepoint/sys_enter").insns   # doctest: +SKIP
"""

from __future__ import annotations

import sys

from ..asm import builder as B
from ..errors import DslError
from ..isa.program import ProgramSpec, SourceLine
from . import exprs, lines, stmts
from . import pyast as ast  # (not `import ast`: start-up)
from .attach import AttachPoint
from .codegen import LOCAL_REGS, Emitter, Val
from .context import ContextSpec
from .maps import DslMap
from .peephole import remove_dead_zeroing
from .scope import MISSING, Frame, Local
from .types import ArrayType, is_struct

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

    from .state import ProgramState

__all__ = ["Compiler", "compile_probe"]

#: builtins whose code reads the context (r6 must hold it)
CTX_BUILTINS = frozenset({"kstack", "ustack", "args", "retval"})


class Compiler:
    """Turns one probe function into a `ProgramSpec` (see `compile_probe`)."""

    def __init__(self, fn: Any = None, section: str | None = None, *, name: str | None = None,
                 attach: AttachPoint | None = None, tree: ast.FunctionDef | None = None,
                 namespace: dict[str, Any] | None = None, filename: str | None = None) -> None:
        self.fn = fn
        if tree is None:
            from .source import function_tree

            try:
                self.filename, self.tree = function_tree(fn)
            except (OSError, TypeError, SyntaxError) as e:
                raise DslError(f"cannot read the source of {fn!r}: {e}",
                               filename=getattr(getattr(fn, "__code__", None), "co_filename",
                                                "<probe>")) from None
            self.col_shift = 0  # the tree has the file's own columns
            first = self.tree.decorator_list[0].lineno if self.tree.decorator_list else \
                self.tree.lineno
            namespace = fn.__globals__
        else:  # a front end (pybpf.bpftrace) hands the tree and the names it sees
            self.filename = filename or "<probe>"
            self.col_shift = 0
            self.tree = tree
            first = tree.lineno
        self.namespace: dict[str, Any] = namespace if namespace is not None else {}
        if "pybpf.dsl.stubs" in sys.modules:  # bpftrace's `comm`, `pid`, `nsecs`... (none without)
            from .barenames import call_bare_builtins

            self.tree = call_bare_builtins(self.tree, self.namespace)
        self.attach = attach
        try:
            self.ctx = ContextSpec.for_section(attach.section if attach is not None else section or "")
        except (ValueError, DslError) as e:
            raise DslError(e.message if isinstance(e, DslError) else str(e),
                           filename=self.filename, line=first,
                           source=lines.getline(self.filename, first).rstrip()) from None
        self.em = Emitter(name or self.tree.name, self.ctx.prog_type, self.filename)
        self.maps: dict[str, DslMap] = {}
        self.next_local_reg = 0
        self.frames: list[Frame] = [Frame(globals=self.namespace)]
        self.inline_depth = 0
        self.null_tested: Any = None
        self.shared_returns: dict[int, str] = {}  # return value -> label of its exit block
        self.shared_where: dict[int, ast.AST] = {}
        self.subprograms: dict[str, Any] = {}  # label -> function compiled as a subprogram
        self.subprogram_order: list[str] = []
        self.loop_callbacks: set[str] = set()
        self.in_subprog = False

    @property
    def state(self) -> ProgramState:
        """What the probes of this program share (record channel, stack maps...)."""
        from .state import state_of  # (imported at the first use: a small probe shares nothing)

        return state_of(self.namespace)

    def use_map(self, m: DslMap) -> str:
        """Register a map the generated code refers to (by its own ``name``)."""
        assert m.name is not None
        self.maps.setdefault(m.name, m)
        return m.name

    def _named(self, m: DslMap, name: str) -> str:
        self.maps[name] = m
        m.name = name
        if getattr(m, "label", "") is None:
            m.label = f"@{name}"  # type: ignore[attr-defined]  # a module-level AutoMap
        return name

    # -- entry -----------------------------------------------------------------------------
    def compile(self) -> ProgramSpec:
        fdef = self.tree
        if isinstance(fdef, ast.AsyncFunctionDef):
            raise self.error("a probe cannot be async", fdef)
        args = fdef.args.args
        if len(args) > 1 or fdef.args.vararg or fdef.args.kwarg or fdef.args.kwonlyargs:
            raise self.error("a probe takes one argument, the context (def probe(ctx): ...)", fdef)
        self.at(fdef)
        if args:
            if any(isinstance(n, ast.Name) and (n.id == args[0].arg or n.id in CTX_BUILTINS)
                   for n in ast.walk(fdef)):
                self.em.emit(B.Mov.reg(6, 1))
            self.frame.locals[args[0].arg] = Local(args[0].arg, "ctx", Val("reg", "ctx", reg=6),
                                                   kind="ctx")
        stmts.block(self, fdef.body)
        if not stmts.terminates(fdef.body):
            if self.ctx.prog_type == "xdp":
                last = fdef.body[-1]
                raise self.error("missing return: an XDP probe must return an action "
                                 "(XDP_PASS, XDP_DROP, ...) on every path", last)
            if self.ctx.prog_type == "sched_cls":
                raise self.error("missing return: a tc probe must return a verdict (TC_ACT_OK, "
                                 "TC_ACT_SHOT, ...) on every path", fdef.body[-1])
            self.at(fdef.body[-1])
            self.em.emit(B.Mov.imm(0, 0))
            self.em.emit(B.Exit())
        for value, label in self.shared_returns.items():
            self.at(self.shared_where[value])
            self.em.place(label)
            self.em.emit(B.Mov.imm(0, value))
            self.em.emit(B.Exit())
        if self.subprogram_order:
            from .subprogs import finish_subprograms

            finish_subprograms(self)
        prog = self.em.prog
        remove_dead_zeroing(prog)
        for name, m in self.maps.items():
            prog.maps[name] = m.decl(name)
        try:
            prog.insns = prog.resolve()
        except Exception as e:  # IsaError: a jump too far
            raise self.error(f"the probe is too large: {e}", fdef) from None
        prog.section = self.ctx.section
        return prog

    # -- shared state --------------------------------------------------------------------------
    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def at(self, node: ast.AST) -> None:
        """Following instructions come from ``node``'s line."""
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0) + 1 + self.col_shift
        self.em.where = SourceLine(self.filename, line, col,
                                   lines.getline(self.filename, line).rstrip("\n"))

    def error(self, message: str, node: ast.AST | None = None) -> DslError:
        line = getattr(node, "lineno", None) or self.em.where.line or None
        col = getattr(node, "col_offset", None)
        return DslError(message, filename=self.filename, line=line,
                        column=(col + 1 + self.col_shift) if col is not None else None,
                        source=lines.getline(self.filename, line or 0).rstrip("\n") or None)

    def lookup_name(self, name: str) -> Any:
        """A local, else a global of the probe's module (or the inlined function's)."""
        for frame in reversed(self.frames):
            if name in frame.consts:
                return frame.consts[name]
            if name in frame.locals:
                return frame.locals[name]
            if frame.ret_label is not None:  # inlined functions do not see the caller's locals
                break
        g = self.frame.globals
        if name in g:
            return g[name]
        import builtins

        if hasattr(builtins, name):
            return getattr(builtins, name)
        return MISSING

    def map_name(self, m: DslMap) -> str:
        for name, obj in self.maps.items():
            if obj is m:
                return name
        for g in (self.frame.globals, self.namespace):
            for name, obj in g.items():
                if obj is m:
                    return self._named(m, name)
        if m.name is not None:  # a program's own map (records, stacks) or one of a Maps
            return self.use_map(m)
        raise self.error("this map is not a module-level variable")  # pragma: no cover

    def new_local(self, name: str, typ: Any, node: ast.AST, *, pointer: bool = False) -> Local:
        """Declare a scalar, aggregate or pointer local (registers r7-r9 first, then slots)."""
        if not pointer and (is_struct(typ) or isinstance(typ, ArrayType)):
            off = self.em.alloc(typ.size, 8, node)
            local = Local(name, typ, Val("stack", typ, off=off), kind="agg")
        elif self.next_local_reg < len(LOCAL_REGS):
            reg = LOCAL_REGS[self.next_local_reg]
            self.next_local_reg += 1
            local = Local(name, typ, Val("reg", typ, reg=reg))
        else:
            local = Local(name, typ, Val("slot", typ, off=self.em.alloc(8, 8, node)))
        self.frame.locals[name] = local
        return local

    # -- expression entry points (implemented in exprs) --------------------------------------
    def expr(self, node: ast.expr) -> Val:
        return exprs.expr(self, node)


def compile_probe(fn: Any, section: str, *, name: str | None = None, verify: bool = True) -> ProgramSpec:
    """Compile ``fn`` (a probe function) for ``section`` (``"tracepoint/syscalls/sys_enter_openat"``,
    ``"raw_tracepoint/sys_enter"``, ``"xdp"``, ``"perf_event"``) into a `ProgramSpec`.

    With ``verify`` the program is checked by `pybpf.verifier.verify` and a rejection is a
    `DslError` at the Python line of the failing instruction.
    """
    from .attach import parse_probe

    aps = parse_probe(section)
    prog = Compiler(fn, name=name, attach=aps[0]).compile()
    if verify:
        check(prog)
    return prog


def check(prog: ProgramSpec) -> None:
    """Raise a `DslError` at the Python line of the instruction the verifier rejects."""
    from ..verifier import verify as _verify

    report = _verify(prog)
    if report.accepted:
        return
    src = report.source
    text = f"the verifier rejects this probe: {report.message}"
    if report.explanation:
        text += f"\n  why: {report.explanation}"
    from ..explain.hints import hint_for  # a data table: the fix in Python, not assembly

    hint = hint_for(report.error_class, "python") if report.error_class else report.hint
    if hint:
        text += f"\n  fix: {hint}"
    text += f"\n  at insn {report.insn}: {report.insn_text}"
    raise DslError(text, filename=getattr(src, "filename", None), line=getattr(src, "line", None),
                   column=getattr(src, "column", None), source=getattr(src, "text", None) or None)
