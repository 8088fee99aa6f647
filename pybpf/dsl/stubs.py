"""Names probes import: each builtin only means something in a probe (from Python it is a
`Pending`); the compiler recognises them by name. XDP action constants."""

from __future__ import annotations

from typing import Any

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX = 0, 1, 2, 3


class Pending:
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

    def __bool__(self) -> bool:  # ``when=a and b`` evaluates both sides
        return True

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Pending:
        if name.startswith("__"):
            raise AttributeError(name)
        return Pending(f"{self._text}.{name}")

    def __getitem__(self, key: Any) -> Pending:
        return Pending(f"{self._text}[...]")

    def __call__(self, *args: Any, **kw: Any) -> Pending:
        return Pending(f"{self._text}(...)")


def _binary(symbol: str, *, reflected: bool = False) -> Any:
    def op(self: Any, other: Any) -> Pending:
        a, b = _text(self), _text(other)
        return Pending(f"({b} {symbol} {a})" if reflected else f"({a} {symbol} {b})")

    return op


def _text(v: Any) -> str:
    if isinstance(v, (Pending, Builtin)):
        return v._text
    return "..." if not isinstance(v, (int, str)) else repr(v)


class Builtin:
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

    def __bool__(self) -> bool:
        return True

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Pending:
        if name.startswith("__"):
            raise AttributeError(name)
        return Pending(f"{self._text}.{name}")

    def __getitem__(self, key: Any) -> Pending:
        return Pending(f"{self._text}[...]")


for _name, _sym in (("add", "+"), ("sub", "-"), ("mul", "*"), ("floordiv", "//"),
                    ("truediv", "/"), ("mod", "%"), ("and", "&"), ("or", "|"), ("xor", "^"),
                    ("lshift", "<<"), ("rshift", ">>")):
    for _cls in (Pending, Builtin):
        setattr(_cls, f"__{_name}__", _binary(_sym))
        setattr(_cls, f"__r{_name}__", _binary(_sym, reflected=True))
for _name, _sym in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"),
                    ("ge", ">=")):
    for _cls in (Pending, Builtin):
        setattr(_cls, f"__{_name}__", _binary(_sym))
for _cls in (Pending, Builtin):
    setattr(_cls, "__neg__", lambda self: Pending(f"-{_text(self)}"))  # noqa: B010 - a loop over classes
    setattr(_cls, "__invert__", lambda self: Pending(f"~{_text(self)}"))  # noqa: B010


def _stub(name: str, doc: str, *, value: bool = False) -> Any:
    return Builtin(name, doc, value=value)


pid_tgid = _stub("pid_tgid", "tgid << 32 | tid of the current task", value=True)
pid = _stub("pid", "the current process id (tgid)", value=True)
tid = _stub("tid", "the current thread id", value=True)
uid = _stub("uid", "the current uid", value=True)
gid = _stub("gid", "the current gid", value=True)
ktime_ns = _stub("ktime_ns", "monotonic time in ns", value=True)
boot_ns = _stub("boot_ns", "boot time in ns", value=True)
cpu = _stub("cpu", "the current CPU", value=True)
prandom = _stub("prandom", "a pseudo-random u32", value=True)
cgroup_id = _stub("cgroup_id", "the current cgroup id", value=True)
task = _stub("task", "the current task_struct address", value=True)
send_signal = _stub("send_signal", "send_signal(sig): signal the current process")
comm = _stub("comm", "the current task's command name (char[16])", value=True)
log2 = _stub("log2", "floor(log2(v))")
probe_read_user_str = _stub("probe_read_user_str", "dst = probe_read_user_str(ptr)")
probe_read_kernel_str = _stub("probe_read_kernel_str", "dst = probe_read_kernel_str(ptr)")
probe_read_user = _stub("probe_read_user", "dst = probe_read_user(ptr)")
probe_read_kernel = _stub("probe_read_kernel", "dst = probe_read_kernel(ptr)")

# bpftrace's builtins (see pybpf.dsl.library); str, print, min, max, sum and exit are Python's
nsecs = _stub("nsecs", "monotonic time in ns (bpftrace's nsecs)", value=True)
elapsed = _stub("elapsed", "ns since the run started", value=True)
cgroup = _stub("cgroup", "the current cgroup id", value=True)
rand = _stub("rand", "a pseudo-random u32", value=True)
curtask = _stub("curtask", "the current task_struct (followable: curtask().real_parent.pid)", value=True)
kstack = _stub("kstack", "kstack() / kstack(depth): the kernel stack, for keys and printf", value=True)
ustack = _stub("ustack", "ustack() / ustack(depth): the user stack, for keys and printf", value=True)
probe_name = _stub("probe_name", "the attach point's full name (bpftrace's probe)", value=True)
func = _stub("func", "the probed function's name", value=True)
ksym = _stub("ksym", "ksym(addr): printed as the kernel symbol")
usym = _stub("usym", "usym(addr): printed as the user symbol")
kaddr = _stub("kaddr", 'kaddr("name"): the address of a kernel symbol')
printf = _stub("printf", "printf(fmt, args...): formatted in userspace, C rules")
print_time = _stub("print_time", 'print_time("%H:%M:%S\\n"): the wall-clock time')
join = _stub("join", "join(argv, delim=' '): a NULL-terminated array of strings")
clear = _stub("clear", "clear(map): delete every entry")
zero = _stub("zero", "zero(map): every value to zero")
exit = _stub("exit", "exit(): end the run")  # noqa: A001 - bpftrace's name, only in probes
count = _stub("count", "at.m[k] = count()")
avg = _stub("avg", "at.m[k] = avg(v)")
stats = _stub("stats", "at.m[k] = stats(v): count, average, total")
hist = _stub("hist", "at.m[k] = hist(v): a log2 histogram")
lhist = _stub("lhist", "at.m[k] = lhist(v, min, max, step): a linear histogram")
kptr = _stub("kptr", 'kptr("task_struct", p): p as a pointer to a kernel struct')
ntop = _stub("ntop", "ntop(addr) / ntop(af, addr): an IPv4/IPv6 address, printed as text")
buf = _stub("buf", "buf(p, n): n bytes at p, printed by printf's %r with \\xNN escapes")
bswap = _stub("bswap", "bswap(x): x with its bytes reversed, at x's width")
deref = _stub("deref", "deref(p) / deref(p, u32): the integer at the address p (bpftrace's *p)")
cat = _stub("cat", 'cat("/proc/%d/status", pid()): print a file\'s contents')
loop = _stub("loop", "loop(n, fn, state): bpf_loop, fn(i, state) called n times")
delete = _stub("delete", "delete(at.m[k], ...): delete map entries (an on() action; del in a def)")
print = _stub("print", "print(at.m): print a map now (import it in an on() file: Python's print "  # noqa: A001
              "would print at import)")
#: an `on` probe's context (``args.filename``), bpftrace's ``args``
args = Pending("args")
#: an `on` probe's return value (``uretprobe``), bpftrace's ``retval``
retval = Pending("retval")
