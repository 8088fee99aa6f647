"""The gas-like assembly syntax of uBPF and the bpf_conformance test vectors.

`parse` turns text into a `ProgramSpec`; `format_insn` prints one instruction
back, and `format_program` a whole program with its labels, so that
``parse(format_program(p))`` gives ``p`` again.

>>> from pybpf.asm.gas import parse, format_insn
>>> prog = parse("mov %r0, 1\\nadd32 %r0, %r1\\nexit")
>>> prog.encode().hex()
'b7000000010000000c100000000000009500000000000000'
>>> format_insn(prog.insns[1])
'add32 %r0, %r1'

The syntax, one instruction or label a line (``#`` starts a comment,
a ``name:`` label may precede an instruction on the same line)::

    mov %r0, 1          add32 %r0, %r1      neg %r2    neg32 %r2
    sdiv %r0, %r1       smod32 %r0, 3       movsx832 %r0, %r1   movsx3264 %r0, %r1
    be16 %r0  le64 %r0  bswap32 %r0 (also spelt swap32)
    lddw %r0, 0x1122334455667788
    ldxb %r0, [%r1+2]   ldxsh %r0, [%r10-2] (sign-extending)
    stxdw [%r10-8], %r1 stb [%r1+2], 5
    lock add [%r10-8], %r1      lock fetch xor32 [%r10-4], %r3
    lock xchg [%r10-8], %r1     lock cmpxchg32 [%r10-8], %r1
    jne %r0, 15, label  jsge32 %r1, %r2, +3     ja +3   ja label
    ja32 label          (gotol: the JMP32 JA with its target in imm; also spelt gotol)
    call 5              (helper by id; ``call bpf_map_lookup_elem`` by name; ``call helper 5``)
    call local func1    (bpf-to-bpf call; ``call local +4`` by offset)
    call %r2            (callx: the target address in a register)
    exit

Rules: registers are ``%r0``..``%r10``; numbers are decimal or ``0x`` hex,
optionally signed; a 32-bit immediate takes -2**31..2**32-1 (``0xffffffff``
is -1). The mnemonic suffix ``32`` selects ALU/JMP32 (``64`` or none: ALU64/
JMP). A jump target is ``+N``/``-N`` (slots, counted from the next
instruction), a bare number (the same as ``+N``) or a label. As in
bpf_conformance, the first ``exit`` instruction carries an implicit label
``exit`` unless the program defines one, so ``jne %r0, 0, exit`` works.

Forms the vectors never use, spelt by pybpf (binutils' "normal" BPF dialect
where it has one)::

    ldabsb 12  ldabsh 12  ldabsw 12           legacy LD_ABS (packet access)
    ldindb %r3, 12  ...  ldindw %r3, 12        legacy LD_IND
    ldacqb %r0, [%r1+0] ... ldacqdw            load-acquire (dst = *(src + off))
    strelb [%r1+0], %r2 ... streldw            store-release (*(dst + off) = src)
    may_goto +3  /  may_goto label             JCOND
    call kfunc 1234      call kfunc 1234, 2    kfunc by BTF id (and module BTF fd index, the off
                                               field); ``call runtime N`` is the bpf_conformance
                                               spelling; ``call kfunc NAME`` keeps a symbolic kfunc
    lddw %r1, map_fd 3   lddw %r1, map_fd my_map          pseudo sources of lddw: the word after
    lddw %r1, map_value 3, 16   lddw %r1, map_value my_map, 16   the comma is the upper 32 bits
    lddw %r1, btf_id 1234  lddw %r1, btf_id NAME (a kernel variable)
    lddw %r1, func label   lddw %r1, func +3
    lddw %r1, map_idx 0    lddw %r1, map_idx_value 0, 8
    lddw %r1, global counter, 8               a global variable (map value of its data section)

A map name gives a `Ref` of kind MAP, a ``global`` name one of kind GLOBAL, a
``btf_id`` name one of kind KSYM (all bound by the loader; the value after the
comma is the signed offset into the map value); a label after
``func`` or a jump gives a LABEL `Ref`. Every malformed line raises
`AsmError` naming the file, line, column and what was expected.
"""

from __future__ import annotations

from .parser import MNEMONICS, parse
from .printer import format_insn, format_program

__all__ = ["MNEMONICS", "format_insn", "format_program", "parse"]
