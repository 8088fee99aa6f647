# ruff: noqa
"""Realistic mistakes in probes: each function is compiled by tests/dsl/test_errors.py and must
raise a DslError at the line marked ``# ERR: <words of the message>``.

The section a probe compiles for is in SECTIONS (default raw_tracepoint/sys_enter)."""

from pybpf.dsl import (ArrayMap, HashMap, RingBuf, Struct, char, comm, ktime_ns, pid,
                       probe_read_user_str, send_signal, StackTrace, u32, u64)


class Event(Struct):
    pid: u32
    name: char[16]


class Other(Struct):
    x: u64


class Big(Struct):
    data: char[600]


counts = HashMap(u32, u64)
structs = HashMap(u32, Other)
table = ArrayMap(u64, 4)
events = RingBuf(Event)
stacks = StackTrace()
SECTIONS = {"xdp_no_return": "xdp", "xdp_stack_id": "xdp", "xdp_stack_id_in_branch": "xdp", "tp_unknown_field": "tracepoint/syscalls/sys_enter_openat",
            "tp_write_ctx": "tracepoint/syscalls/sys_enter_openat",
            "tp_read_int_as_ptr": "tracepoint/syscalls/sys_enter_openat"}


from pybpf.dsl import probe as _probe


@_probe("raw_tracepoint/sys_enter")
def _cli_probe(ctx):
    p = structs.lookup(1)
    return p.x  # the CLI test expects this mistake


def unchecked_lookup(ctx):
    p = structs.lookup(1)
    return p.x  # ERR: may be None


def hash_read_without_default(ctx):
    return counts[pid()]  # ERR: may miss


def while_true(ctx):
    while True:  # ERR: unbounded loop
        pass


def while_counter_never_changes(ctx):
    i = 0
    while i < 10:  # ERR: unbounded loop
        pid()


def range_variable_bound(ctx):
    n = pid()
    for i in range(n):  # ERR: bounds must be constants
        pass


def loop_over_list(ctx):
    for x in [1, 2]:  # ERR: loops are `for i in range(N)`
        pass


def struct_too_big_for_stack(ctx):
    b = Big()  # ERR: bytes of stack
    return 0


def helper_missing_argument(ctx):
    send_signal()  # ERR: takes 1 argument


def helper_wrong_argument_type(ctx):
    send_signal(comm())  # ERR: expected a number


def read_str_into_number(ctx):
    e = Event()
    e.pid = probe_read_user_str(ctx.args[1])  # ERR: writes into a buffer


def read_str_from_small_int(ctx):
    e = Event()
    x: u32 = 5
    e.name = probe_read_user_str(x)  # ERR: reads from an address


def list_literal(ctx):
    a = [1, 2, 3]  # ERR: lists are not supported


def dict_literal(ctx):
    a = {1: 2}  # ERR: dicts are not supported


def fstring(ctx):
    a = f"{pid()}"  # ERR: f-strings are not supported


def lambda_expr(ctx):
    f = lambda: 1  # ERR: lambdas are not supported


def try_except(ctx):
    try:  # ERR: try/except is not supported
        pid()
    except Exception:
        pass


def with_block(ctx):
    with open("x"):  # ERR: with is not supported
        pass


def nested_def(ctx):
    def inner():  # ERR: nested functions is not supported
        return 1


def import_in_probe(ctx):
    import os  # ERR: import is not supported


def float_constant(ctx):
    x = 1.5  # ERR: float constants are not supported


def string_arithmetic(ctx):
    x = "hello" * 2  # ERR: expected a number here, got a string


def true_division(ctx):
    x = pid() / 2  # ERR: use // for integer division


def power(ctx):
    x = pid() ** 2  # ERR: ** is not supported


def undefined_name(ctx):
    return undefined_thing + 1  # ERR: 'undefined_thing' is not defined


def tp_unknown_field(ctx):
    return ctx.fname  # ERR: has no field 'fname'


def unknown_struct_field(ctx):
    e = Event()
    e.tgid = 1  # ERR: has no field 'tgid'


def tp_write_ctx(ctx):
    ctx.flags = 0  # ERR: context is read-only


def ringbuf_wrong_struct(ctx):
    o = Other()
    events.output(o)  # ERR: carries struct Event events


def xdp_no_return(ctx):
    x = 1  # ERR: missing return


def inlined_helper_with_unbounded_loop(ctx):
    return _helper_with_bad_loop(pid())  # ERR-IN: _helper_with_bad_loop


def _helper_with_bad_loop(n):
    while n:  # ERR: unbounded loop
        n = n - 1
    return n


def unsigned_vs_negative(ctx):
    if pid() < -1:  # ERR: negative number is always
        return 1


def keyword_arguments(ctx):
    counts.get(1, default=0)  # ERR: keyword arguments


def conditional_expression_with_a_string(ctx):
    return 1 if pid() else comm()  # ERR: expected a number here, got a string


def constant_division_by_zero(ctx):
    return 10 // 0  # ERR: division by zero


def index_out_of_bounds(ctx):
    e = Event()
    e.name[16] = 0  # ERR: out of bounds


def index_of_a_number(ctx):
    i = pid()
    return i[0]  # ERR: cannot be indexed


def del_local(ctx):
    x = 1
    del x  # ERR: del works only on map entries


def increment_struct_map(ctx):
    structs[1] += 1  # ERR: needs u32/u64 values


def get_with_variable_default(ctx):
    return counts.get(1, pid())  # ERR: default of map.get() must be a constant


def unknown_function(ctx):
    return getpid()  # ERR: unknown function 'getpid'


def calling_builtin(ctx):
    return len(ctx)  # ERR: unknown function 'len'


def del_array_entry(ctx):
    del table[0]  # ERR: cannot be deleted


def chained_assignment(ctx):
    a = b = 1  # ERR: assign one target at a time


def tuple_unpacking(ctx):
    a, b = 1, 2  # ERR: no unpacking


def raise_in_probe(ctx):
    raise ValueError("x")  # ERR: raise is not supported


def assert_in_probe(ctx):
    assert pid() > 0  # ERR: assert is not supported


def map_method_typo(ctx):
    counts.lookup_elem(1)  # ERR: has no method 'lookup_elem'


def pointer_is_none_on_number(ctx):
    x = pid()
    if x is None:  # ERR: only the result of map.lookup
        return 0


def xdp_stack_id(ctx):
    sid = stacks.get_stackid(ctx)  # ERR: program of this type cannot use helper bpf_get_stackid
    return 2


def comm_into_number_local(ctx):
    x: u64 = 0
    x = comm()  # ERR: is u64, the value is char[16]


def annotation_not_a_type(ctx):
    x: int = 5  # ERR: is not a DSL type


def xdp_stack_id_in_branch(ctx):
    t = ktime_ns()
    if t > 5:
        return stacks.get_stackid(ctx, 0)  # ERR: verifier rejects this probe
    return 2
