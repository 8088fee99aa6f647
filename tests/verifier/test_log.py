"""``verify(..., log=True)`` against the kernel's log_level 2, line by line.

Compared: the instruction lines with the touched registers, the "from X to Y"
lines of popped branches and pruning. Not compared: the kernel's liveness
preamble and its own bookkeeping lines, and lddw immediates of maps (the kernel
prints the map's kernel address).
"""
from __future__ import annotations

import re

import pytest

from pybpf.asm import assemble
from pybpf.verifier import verify

PROGRAMS = {
    "lookup": ("socket_filter", ".map m hash key=4 value=8 max_entries=4\n*(u32 *)(r10 - 4) = 0\n"
               "r2 = r10\nr2 += -4\nr1 = m ll\ncall 1\nif r0 == 0 goto +2\nr1 = *(u64 *)(r0 + 0)\n"
               "r1 &= 7\nr0 = 0\nexit"),
    "branches": ("socket_filter", "r0 = *(u32 *)(r1 + 0)\nif r0 > 10 goto +2\nr0 += 1\ngoto +1\n"
                 "r0 = 0\nexit"),
    "stack": ("xdp", "r1 = 7\n*(u64 *)(r10 - 8) = r1\nr2 = *(u64 *)(r10 - 8)\nr0 = 2\nexit"),
    "fork_and_decided": ("socket_filter", "r0 = *(u32 *)(r1 + 0)\nr0 &= 1\nr0 = -r0\nr0 &= 7\n"
                         "if r0 == 7 goto +1\nr0 = 0\nexit"),
}


def _comparable(log: str) -> list[str]:
    out = []
    for line in log.splitlines():
        if re.match(r"^\d+: \(|^from \d+ to \d+|^\d+: R", line):
            line = re.sub(r"\(18\) (r\d+) = 0x[0-9a-f]+", r"(18) \1 = <map>", line)
            out.append(re.sub(r"\s+;", " ;", line.rstrip()))
    return out


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_log_matches_kernel_log_level_2(name):
    from pybpf.kernel.prog import LoadOptions, load

    prog_type, text = PROGRAMS[name]
    prog = assemble(text)
    with load(prog, prog_type, options=LoadOptions(log_level=2)) as p:
        kernel = _comparable(p.log)
    ours = _comparable(verify(prog, prog_type, log=True).log)
    assert ours == kernel
