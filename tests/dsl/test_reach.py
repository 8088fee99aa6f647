"""What bpftrace's tools need from the DSL beyond the basics, on the live kernel: variable
array indexes (checked in the program), BPF-to-BPF calls of the user's functions, bpf_loop,
tc programs parsing IPv6."""

from __future__ import annotations

import os

import pytest

from pybpf.dsl import Session, module_probes

from . import reach_probes as R

pytestmark = pytest.mark.kernel


def _kill(n: int) -> None:
    """kill(n, 0) on a pid that does not exist: the tracepoint fires with args->pid = n."""
    try:
        os.kill(n, 0)
    except OSError:
        pass


def test_variable_index_in_range_stores_and_reads():
    probes = [p for p in module_probes(R) if p.name == "variable_index"]
    with Session(probes):
        R.TARGET[0] = os.getpid()
        _kill(0x7F0005)  # low byte 5
        p = R.slots[0]
        assert p.b[5] == 1 and p.w[5] == 1
        assert R.out[1] == 105 and R.out[2] == 1 and R.out[3] == 1
        _kill(0x7F0005)
        assert R.slots[0].w[5] == 2


def test_variable_index_out_of_range_does_nothing():
    probes = [p for p in module_probes(R) if p.name == "variable_index"]
    with Session(probes):
        R.TARGET[0] = os.getpid()
        _kill(0x7F00C8)  # low byte 200: past both arrays
        p = R.slots[0]
        assert not any(p.b) and not any(p.w)
        assert R.out[1] == 0 and R.out[2] == 0  # reads out of range give 0


def test_subprograms_and_bpf_loop():
    probes = [p for p in module_probes(R) if p.name == "calls_and_loops"]
    prog = probes[0].compile()
    assert {"fn:clamp", "fn:add_index"} <= set(prog.labels)
    with Session(probes):
        R.TARGET[0] = os.getpid()
        os.getppid()
        got = {k: R.out[k] for k in (10, 11, 12, 13)}
    # add_index stops the loop after 50 calls (indexes 0..49): bpf_loop reports 50 calls
    assert got == {10: sum(range(50)), 11: 50, 12: 7, 13: 3}
