"""Count system calls by process name (raw_syscalls:sys_enter).

    pybpf probe examples/syscount.py --duration 5
"""

from pybpf.dsl import HashMap, char, comm, probe, u64

counts = HashMap(char[16], u64, max_entries=10240)


@probe("tracepoint/raw_syscalls/sys_enter")
def count_syscalls(ctx):
    counts[comm()] += 1


def report(emit):
    """Print the top processes (``emit`` prints one table row)."""
    rows = sorted(counts.items(), key=lambda kv: -kv[1])[:20]
    for name, n in rows:
        emit({"comm": name.decode(errors="replace"), "count": n})
