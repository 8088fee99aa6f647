"""A CPU sampler: 99 samples per second on every CPU (perf_event), counted by process and
stack; prints the top stacks.

    pybpf probe examples/profile.py --duration 5
"""

from pybpf.dsl import HashMap, StackTrace, Struct, char, comm, pid, probe, s32, u32, u64

BPF_F_USER_STACK = 1 << 8


class Sample(Struct):
    pid: u32
    user_stack: s32
    kernel_stack: s32
    comm: char[16]


stacks = StackTrace(depth=32, max_entries=4096)
counts = HashMap(Sample, u64, max_entries=8192)


@probe("perf_event", frequency=99)
def on_sample(ctx):
    k = Sample()
    k.pid = pid()
    if k.pid == 0:  # the idle task
        return 0
    k.user_stack = stacks.get_stackid(ctx, BPF_F_USER_STACK)
    k.kernel_stack = stacks.get_stackid(ctx, 0)
    k.comm = comm()
    counts[k] += 1
    return 0


def top(n=10):
    """The ``n`` most sampled (key, count) pairs."""
    return sorted(counts.items(), key=lambda kv: -kv[1])[:n]


def report(emit):
    for k, n in top():
        frames = stacks.stack(k.kernel_stack) if k.kernel_stack >= 0 else []
        emit({"pid": k.pid, "comm": k.comm, "samples": n, "user_stack_id": k.user_stack,
              "kernel_frames": [hex(a) for a in frames[:8]]})
