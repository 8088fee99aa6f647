"""The VM's loop-heavy sample programs: what ``benchmarks/vm.py`` times and tests/vm check.

Each is assembly text for `pybpf.asm.assemble`, run with ``mem=`` `MEM` (r1 points at
it, r2 holds its length), as the kernel's ``BPF_PROG_TEST_RUN`` runs it behind
`pybpf.kernel.oracle`'s prologue:

- ``alu_loop``: an 8-instruction ALU body, 20,000 iterations;
- ``mem_loop``: stack and packet loads/stores plus an atomic add, 10,000 iterations;
- ``call_loop``: a bpf-to-bpf call of a small leaf function per iteration, 5,000 iterations.

>>> from pybpf.asm import assemble
>>> from pybpf.vm import VM
>>> VM().run(assemble(PROGRAMS["call_loop"]), mem=MEM).insns
45003
"""

from __future__ import annotations

PROGRAMS: dict[str, str] = {
    "alu_loop": """
        r0 = 0
        r2 = 20000
    loop:
        r3 = r0
        r3 *= 7
        r0 += r2
        r0 ^= r3
        r3 >>= 3
        w0 += w3
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """,
    "mem_loop": """
        r6 = r1
        r0 = 0
        *(u64 *)(r10 - 8) = r0
        r2 = 10000
    loop:
        r3 = *(u32 *)(r6 + 0)
        r3 += r2
        *(u32 *)(r6 + 4) = r3
        *(u64 *)(r10 - 16) = r3
        r4 = *(u64 *)(r10 - 16)
        lock *(u64 *)(r10 - 8) += r4
        r2 -= 1
        if r2 != 0 goto loop
        r0 = *(u64 *)(r10 - 8)
        exit
    """,
    "call_loop": """
        r0 = 0
        r6 = 5000
    loop:
        r1 = r6
        r2 = r0
        call f
        r6 -= 1
        if r6 != 0 goto loop
        exit
    f:
        r0 = r1
        r0 *= 3
        r0 += r2
        exit
    """,
}
#: the memory each sample runs over
MEM = bytes(range(16))
