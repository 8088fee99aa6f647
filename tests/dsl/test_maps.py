"""Perf buffers and per-CPU maps from probes, read back decoded in userspace."""

from __future__ import annotations

import os

import pytest

from pybpf.dsl import Session, module_probes
from pybpf.kernel import possible_cpus

from . import perf_probes as P

pytestmark = pytest.mark.kernel


def test_perf_buffer_events_and_percpu_counts():
    with Session(module_probes(P)) as s:
        P.TARGET[0] = os.getpid()  # every CPU's slot
        assert set(P.TARGET[0]) == {os.getpid()}
        for _ in range(7):
            os.getppid()
        for _ in range(4):
            s.poll(50)
        per_cpu = P.calls[0]
    assert sum(per_cpu) == 7 and len(per_cpu) == possible_cpus()
    mine = [e for e in s.events if e.pid == os.getpid()]
    assert len(mine) == 7 and mine[0].comm


def test_globals_are_shared_variables_with_initial_values():
    with Session(module_probes(P)):
        assert (P.total.read(), P.last_pid.read()) == (0, 7)
        for _ in range(5):
            os.getppid()
        got = P.total.read()
        P.last_pid.write(7)
        os.getppid()
        again = P.total.read()
    assert got >= 105  # other processes may call getppid too
    assert again >= got + 101
