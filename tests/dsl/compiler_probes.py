# ruff: noqa
"""Probes for tests/dsl/test_compiler.py (compiled for tracepoint/raw_syscalls/sys_enter: the inputs
are ctx.args[0] and ctx.args[1]; the result is the return value)."""

from pybpf.dsl import HashMap, Struct, char, ktime_ns, s32, u8, u16, u32, u64

LIMIT = 10


class Pair(Struct):
    a: u32
    b: u64
    name: char[8]


def clamp(x, hi):
    if x > hi:
        return hi
    return x


def sign(v: s32) -> s32:
    if v < 0:
        return -1
    elif v == 0:
        return 0
    return 1


def many_locals(ctx):
    a = ctx.args[0]
    b = a + 1
    c = b + 1
    d = c + 1
    e = d + 1
    f = e + 1
    return a + b + c + d + e + f


def inlined(ctx):
    x = clamp(ctx.args[0], LIMIT)
    y: s32 = ctx.args[1]
    return x * 10 + sign(y) + 1


def while_sum(ctx):
    i: u32 = 0
    total = 0
    while i < 20 and total < ctx.args[0]:
        total += i
        i += 1
    return total


def for_break(ctx):
    n = 0
    for i in range(40):
        if i == ctx.args[0]:
            break
        n += 2
    return n


def for_unrolled_struct(ctx):
    p = Pair()
    p.a = ctx.args[0]
    p.b = p.a * 2
    for k in range(8):
        p.name[k] = k + 1
    return p.b + p.name[7] + p.name[0]


def elif_chain(ctx):
    v = ctx.args[0]
    if v < 10:
        return 1
    elif v < 100:
        return 2
    elif v < 1000 and not v == 500:
        return 3
    else:
        return 4


def bool_values(ctx):
    a = ctx.args[0]
    b = ctx.args[1]
    x = a > b
    y = not a
    z = a == 3 or b == 4
    return x * 100 + y * 10 + z


def narrow_types(ctx):
    a: u8 = ctx.args[0]
    b: u16 = a * 300
    c: s32 = 0 - a
    return b + c


class Slot(Struct):
    x: u64
    y: u64


def pointer_in_a_slot(ctx):
    a = ctx.args[0]
    b = a + 1
    c = b + 1
    p = Slot()
    p.x = a + b + c
    p.y = clamp(p.x, 100) + b
    return p.x * 1000 + p.y


vals = HashMap(u32, Slot)


def lookup_pointer_spilled(ctx):
    a = ctx.args[0]
    b = a + 1
    c = b + 1
    d = c + 1
    p = vals.lookup(1)
    if p is None:
        return 0
    p.x = ktime_ns() + a + b + c + d
    p.y = p.x
    return 0


def bool_from_calls(ctx):
    a = ctx.args[0]
    x = a > 5 and ktime_ns() > 0
    y = (a < 3) + (ktime_ns() == 0)
    return x * 10 + y
