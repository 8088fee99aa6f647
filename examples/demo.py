"""pybpf in one screen: assemble a little eBPF program, then look at it four ways.

    python examples/demo.py        (or: make demo)
"""

from __future__ import annotations

import pybpf

SOURCE = """\
    # sum 1 + 2 + ... + 10, the way a verifier-friendly loop does it
    r0 = 0
    r1 = 10
loop:
    r0 += r1
    r1 -= 1
    if r1 != 0 goto loop
    exit
"""


def section(title: str) -> None:
    print(f"\n\033[1m{title}\033[0m" if _tty() else f"\n{title}")


def _tty() -> bool:
    import sys

    return sys.stdout.isatty()


def main() -> None:
    prog = pybpf.assemble(SOURCE, filename="demo.s")
    code = prog.encode()
    section(f"source (LLVM syntax, {len(prog)} instructions)")
    print(SOURCE.rstrip())
    section("llvm-objdump -d layout")
    print(pybpf.disassemble(prog))
    section("as the kernel verifier log prints it")
    print(pybpf.disassemble(prog, "kernel"))
    section("gas syntax (uBPF / bpf_conformance)")
    print(pybpf.disassemble(prog, "gas", listing=False).rstrip())
    section(f"bytecode ({len(code)} bytes)")
    for slot in range(0, len(code), 8):
        print(f"  {slot // 8:2d}  {code[slot:slot + 8].hex(' ')}")
    try:
        from pybpf.vm import VM
    except ImportError:
        return
    section("run in the userspace VM")
    print(f"  r0 = {VM().run(prog).r0}")


if __name__ == "__main__":
    main()
