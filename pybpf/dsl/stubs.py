"""Names probes import: each builtin only means something in a probe (from Python it is a
`Pending`); the compiler recognises them by name. XDP action constants."""

from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX = 0, 1, 2, 3


class _Inert:
    """What `Pending` and `Builtin` do alike in Python: true, hashable by identity, and a
    `Pending` from an attribute, an index or an operator (``_text`` says what they stand for)."""

    __slots__ = ()
    _text: str

    def __bool__(self) -> bool:  # ``when=a and b`` evaluates both sides
        return True

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Pending:
        if name.startswith("__"):
            raise AttributeError(name)
        return Pending(f"{self._text}.{name}")

    def __getitem__(self, key: Any) -> Pending:
        return Pending(f"{self._text}[...]")


class Pending(_Inert):
    """What a DSL name or expression is when Python evaluates it: nothing yet. An `on` line
    is evaluated by Python before `on` reads its source, so every builtin, map slot and
    operator on them gives a `Pending` (its text says what it stands for); only the compiled
    probe has a value.

    >>> from pybpf.dsl import nsecs, at
    >>> (nsecs - at.start[1]) // 1000
    <((nsecs - @start[...]) // 1000): computed in a probe, not in Python>
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return f"<{self._text}: computed in a probe, not in Python>"

    __str__ = __repr__

    def __call__(self, *args: Any, **kw: Any) -> Pending:
        return Pending(f"{self._text}(...)")


class Builtin(_Inert):
    """A DSL builtin (``pid``, ``printf``, ``count``...): the compiler recognises it by name.
    A value builtin (``value=True``: ``comm``, ``pid``, ``nsecs``...) may be written without
    parentheses, as in bpftrace. From Python a call gives a `Pending`, nothing runs.

    >>> from pybpf.dsl import pid
    >>> pid, pid()
    (<builtin pid>, <pid(): computed in a probe, not in Python>)
    """

    __module__ = "pybpf.dsl.stubs"

    def __init__(self, name: str, doc: str, *, value: bool = False) -> None:
        self.__name__ = self.__qualname__ = self._text = name
        self.__doc__ = doc
        self.value = value

    def __call__(self, *args: Any, **kw: Any) -> Pending:
        return Pending(f"{self._text}()" if not args else f"{self._text}(...)")

    def __repr__(self) -> str:
        return f"<builtin {self._text}>"


def _binary(symbol: str, *, reflected: bool = False) -> Any:
    def op(self: Any, other: Any) -> Pending:
        a, b = _text(self), _text(other)
        return Pending(f"({b} {symbol} {a})" if reflected else f"({a} {symbol} {b})")

    return op


def _text(v: Any) -> str:
    if isinstance(v, _Inert):
        return v._text
    return "..." if not isinstance(v, (int, str)) else repr(v)


for _name, _sym in (("add", "+"), ("sub", "-"), ("mul", "*"), ("floordiv", "//"),
                    ("truediv", "/"), ("mod", "%"), ("and", "&"), ("or", "|"), ("xor", "^"),
                    ("lshift", "<<"), ("rshift", ">>")):
    setattr(_Inert, f"__{_name}__", _binary(_sym))
    setattr(_Inert, f"__r{_name}__", _binary(_sym, reflected=True))
for _name, _sym in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"),
                    ("ge", ">=")):
    setattr(_Inert, f"__{_name}__", _binary(_sym))
for _name, _sym in (("neg", "-"), ("invert", "~")):
    setattr(_Inert, f"__{_name}__", lambda self, _sym=_sym: Pending(f"{_sym}{_text(self)}"))


def _builtins(table: str, *, value: bool) -> dict[str, Builtin]:
    """One `Builtin` a line of ``table`` (its name, then its documentation)."""
    rows = (line.split(maxsplit=1) for line in table.strip().splitlines())
    return {name: Builtin(name, doc, value=value) for name, doc in rows}


# The builtins, by the names probes import (``from pybpf.dsl import pid, count``); bpftrace's
# own (see pybpf.dsl.library) among them. str, min, max and sum are Python's.

#: value builtins: bpftrace's builtins without parentheses (``at[comm] = count()``)
_VALUES = r"""
    pid_tgid    tgid << 32 | tid of the current task
    pid         the current process id (tgid)
    tid         the current thread id
    uid         the current uid
    gid         the current gid
    ktime_ns    monotonic time in ns
    boot_ns     boot time in ns
    cpu         the current CPU
    prandom     a pseudo-random u32
    cgroup_id   the current cgroup id
    task        the current task_struct address
    comm        the current task's command name (char[16])
    nsecs       monotonic time in ns (bpftrace's nsecs)
    elapsed     ns since the run started
    cgroup      the current cgroup id
    rand        a pseudo-random u32
    curtask     the current task_struct (followable: curtask().real_parent.pid)
    kstack      kstack() / kstack(depth): the kernel stack, for keys and printf
    ustack      ustack() / ustack(depth): the user stack, for keys and printf
    probe_name  the attach point's full name (bpftrace's probe)
    func        the probed function's name
"""
#: builtins called as functions
_FUNCTIONS = r"""
    send_signal            send_signal(sig): signal the current process
    log2                   floor(log2(v))
    probe_read_user_str    dst = probe_read_user_str(ptr)
    probe_read_kernel_str  dst = probe_read_kernel_str(ptr)
    probe_read_user        dst = probe_read_user(ptr)
    probe_read_kernel      dst = probe_read_kernel(ptr)
    ksym                   ksym(addr): printed as the kernel symbol
    usym                   usym(addr): printed as the user symbol
    kaddr                  kaddr("name"): the address of a kernel symbol
    printf                 printf(fmt, args...): formatted in userspace, C rules
    print_time             print_time("%H:%M:%S\n"): the wall-clock time
    join                   join(argv, delim=' '): a NULL-terminated array of strings
    clear                  clear(map): delete every entry
    zero                   zero(map): every value to zero
    exit                   exit(): end the run
    count                  at.m[k] = count()
    avg                    at.m[k] = avg(v)
    stats                  at.m[k] = stats(v): count, average, total
    hist                   at.m[k] = hist(v): a log2 histogram
    lhist                  at.m[k] = lhist(v, min, max, step): a linear histogram
    kptr                   kptr("task_struct", p): p as a pointer to a kernel struct
    ntop                   ntop(addr) / ntop(af, addr): an IPv4/IPv6 address, printed as text
    buf                    buf(p, n): n bytes at p, printed by printf's %r with \xNN escapes
    bswap                  bswap(x): x with its bytes reversed, at x's width
    deref                  deref(p) / deref(p, u32): the integer at the address p (bpftrace's *p)
    cat                    cat("/proc/%d/status", pid()): print a file's contents
    loop                   loop(n, fn, state): bpf_loop, fn(i, state) called n times
    delete                 delete(at.m[k], ...): delete map entries (an on() action; del in a def)
    print                  print(at.m): print a map now (import it in an on() file: Python's print would print at import)
"""
globals().update(_builtins(_VALUES, value=True), **_builtins(_FUNCTIONS, value=False))

if TYPE_CHECKING:  # the names the tables above bind (each a Builtin, typed as before)
    def __getattr__(name: str) -> Any: ...


#: an `on` probe's context (``args.filename``), bpftrace's ``args``
args = Pending("args")
#: an `on` probe's return value (``uretprobe``), bpftrace's ``retval``
retval = Pending("retval")
