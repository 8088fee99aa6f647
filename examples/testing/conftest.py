"""Settings of this example suite: hypothesis draws the same examples on every run
(a failure found once is found again), and no wall-clock deadline (the kernel and a
loaded machine are slow now and then). The fixtures (bpf_program, bpf_vm, bpf_kernel)
and the vm_vs_kernel marker come from pybpf's pytest plugin, installed with pybpf."""
from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("pybpf-examples", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pybpf-examples")
