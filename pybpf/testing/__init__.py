"""Test your own eBPF programs: inputs shaped by program type, the VM and the kernel side by side.

- packets (`pybpf.testing.netgen`): `packets`, `xdp_packets`, `tc_packets`,
  `socket_packets`: Ethernet/VLAN/IPv4/IPv6/TCP/UDP/ICMP frames, valid and corrupt;
  the builders and the dissector that reads them back are `pybpf.testing.frames`;
- contexts and maps (`pybpf.testing.ctxgen`): `tracepoint_contexts` (from the
  tracepoint's format file), `raw_tracepoint_contexts`, `perf_event_contexts`, `map_contents`;
- verifier work (`pybpf.testing.progs`): `accepted_programs` the verifier loads and
  `near_misses` one mutation away that it refuses, each naming its kind;
- running (`pybpf.testing.runner`): `BpfProgram` runs a DSL probe, a clang object or
  assembly in the VM, in the kernel (``BPF_PROG_TEST_RUN``) or in both, compared;
- pytest (`pybpf.testing.plugin`, loaded through the ``pytest11`` entry point): the
  ``bpf_program``, ``bpf_vm`` and ``bpf_kernel`` fixtures, the ``vm_vs_kernel`` marker and
  ``--bpf-cov``;
- for testing pybpf itself: `insns` and `programs` draw any instruction or program
  (`pybpf.testing.strategies`), `pybpf.testing.progen` draws verifier-safe programs from
  any ``draw(lo, hi)``.

>>> from hypothesis import given
>>> from pybpf.testing import BpfProgram, xdp_packets
>>> prog = BpfProgram.load("r0 = 2\\nexit", prog_type="xdp")
>>> @given(xdp_packets())
... def test_passes_everything(pkt):
...     assert prog.run(packet=pkt).retval == 2
>>> test_passes_everything()
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .ctxgen import (
        Context,
        c_strings,
        map_contents,
        perf_event_contexts,
        raw_tracepoint_contexts,
        tracepoint_context,
        tracepoint_contexts,
    )
    from .netgen import Packet, packets, socket_packets, tc_packets, xdp_packets
    from .progs import NearMiss, accepted_programs, near_misses
    from .runner import BpfProgram, Outcome, compare
    from .strategies import imm32, imm64, insns, off16, programs, regs

# lazy: `pybpf.testing.progen` and the runner must not need hypothesis (the fuzz
# campaigns draw with random), and importing the plugin must stay cheap
_EXPORTS = {
    "imm32": "strategies", "imm64": "strategies", "insns": "strategies", "off16": "strategies",
    "programs": "strategies", "regs": "strategies",
    "Packet": "netgen", "packets": "netgen", "xdp_packets": "netgen", "tc_packets": "netgen",
    "socket_packets": "netgen",
    "Context": "ctxgen", "c_strings": "ctxgen", "tracepoint_contexts": "ctxgen",
    "tracepoint_context": "ctxgen",
    "raw_tracepoint_contexts": "ctxgen", "perf_event_contexts": "ctxgen",
    "map_contents": "ctxgen",
    "NearMiss": "progs", "accepted_programs": "progs", "near_misses": "progs",
    "BpfProgram": "runner", "Outcome": "runner", "compare": "runner",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pybpf.testing' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BpfProgram", "Context", "NearMiss", "Outcome", "Packet", "accepted_programs", "c_strings",
    "compare", "imm32", "imm64", "insns", "map_contents", "near_misses", "off16", "packets",
    "perf_event_contexts", "programs", "raw_tracepoint_contexts", "regs", "socket_packets",
    "tc_packets", "tracepoint_context", "tracepoint_contexts", "xdp_packets",
]
