"""Assembler and disassembler speed: pybpf against llvm-mc-19 and llvm-objdump-19.

Generates a 100,000-instruction program in the LLVM syntax that covers every
instruction form llvm-mc-19 reads (ALU/ALU64 with every op and source, movsx,
byte swaps, lddw, loads/stores of every size, sign-extending loads, every
atomic, legacy packet loads, conditional jumps to labels, goto/gotol/may_goto,
helper calls, callx, exit), then times whole processes:

- ``python -m pybpf asm FILE -o OUT`` against ``llvm-mc-19 -triple bpfel
  -mcpu=v4 -filetype=obj``;
- the same program in the gas syntax through ``pybpf asm --syntax gas``
  (against the same llvm-mc run);
- ``python -m pybpf disasm OUT`` against ``llvm-objdump-19 -d`` of the object.

pybpf runs with its bytecode cached, as an installed package has it (see
`_common.pybpf_env`). It also checks that both assemblers produce the same bytes and that the
disassembly texts agree line by line (objdump's ``<sym+0x..>`` suffixes
aside). One JSON line per figure, wall time and CPU time (user + system of
the process, steadier on a shared machine); ratio = llvm time / pybpf time
(> 1: pybpf is faster).

    python benchmarks/asm.py [--count N] [--repeat R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, emit, measure, need, pybpf_cmd, pybpf_env, skip

sys.path.insert(0, str(ROOT))

BENCH = "asm"
_ALU = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "%=", "^=", "=", "s>>=", "s/=", "s%="]
_JMP = ["==", ">", ">=", "&", "!=", "s>", "s>=", "<", "<=", "s<", "s<="]
_SIZES = ["u8", "u16", "u32", "u64"]
_ATOMIC = [("add", "+="), ("or", "|="), ("and", "&="), ("xor", "^=")]


def _forms(rng: random.Random) -> list:
    """Functions of (rng, label) -> one line of LLVM-syntax assembly."""
    def reg() -> int:
        return rng.randrange(10)

    def imm() -> int:
        return rng.choice([0, 1, -1, 7, 255, 0x7FFFFFFF, -0x80000000, rng.randrange(-5000, 5000)])

    def off() -> int:
        return rng.choice([0, 2, 8, -8, 16, -512, 0x7FFF])

    def memref(base: int | None = None) -> str:
        o = off()
        b = reg() if base is None else base
        return f"(r{b} + {o})" if o >= 0 else f"(r{b} - {-o})"

    forms = []
    for op in _ALU:
        forms += [lambda _l, op=op: f"r{reg()} {op} r{reg()}",
                  lambda _l, op=op: f"r{reg()} {op} {imm()}",
                  lambda _l, op=op: f"w{reg()} {op} w{reg()}",
                  lambda _l, op=op: f"w{reg()} {op} {imm()}"]
    forms += [lambda _l: (lambda r: f"r{r} = -r{r}")(reg()),
              lambda _l: (lambda r: f"w{r} = -w{r}")(reg())]
    for w in (8, 16, 32):
        forms.append(lambda _l, w=w: f"r{reg()} = (s{w})r{reg()}")
        if w < 32:
            forms.append(lambda _l, w=w: f"w{reg()} = (s{w})w{reg()}")
    for kind in ("be", "le", "bswap"):
        for w in (16, 32, 64):
            forms.append(lambda _l, kind=kind, w=w: (lambda r: f"r{r} = {kind}{w} r{r}")(reg()))
    forms.append(lambda _l: f"r{reg()} = {rng.randrange(1 << 64):#x} ll")
    for size in _SIZES:
        forms += [lambda _l, s=size: f"r{reg()} = *({s} *){memref()}",
                  lambda _l, s=size: f"*({s} *){memref(10)} = {imm()}",
                  lambda _l, s=size: f"*({s} *){memref()} = {'r' if s == 'u64' else 'w'}{reg()}"]
        if size != "u64":
            forms.append(lambda _l, s=size: f"r{reg()} = *(s{s[1:]} *){memref()}")
            forms.append(lambda _l, s=size: f"r0 = *({s} *)skb[{rng.randrange(64)}]")
            forms.append(lambda _l, s=size: f"r0 = *({s} *)skb[r{reg()}]")
    for bits, r, c in ((64, "r", "u64"), (32, "w", "u32")):
        for name, sym in _ATOMIC:
            forms += [lambda _l, r=r, c=c, sym=sym: f"lock *({c} *){memref(10)} {sym} {r}{reg()}",
                      lambda _l, r=r, c=c, name=name: (lambda x: f"{r}{x} = atomic_fetch_{name}"
                                                       f"(({c} *){memref(10)}, {r}{x})")(reg())]
        xchg = "xchg_64" if bits == 64 else "xchg32_32"
        cmpx = "cmpxchg_64" if bits == 64 else "cmpxchg32_32"
        forms += [lambda _l, r=r, xchg=xchg: (lambda x: f"{r}{x} = {xchg}(r10 - 8, {r}{x})")(reg()),
                  lambda _l, r=r, cmpx=cmpx: f"{r}0 = {cmpx}(r10 - 8, {r}0, {r}{reg()})"]
    for op in _JMP:
        forms += [lambda lab, op=op: f"if r{reg()} {op} r{reg()} goto {lab}",
                  lambda lab, op=op: f"if r{reg()} {op} {imm()} goto {lab}",
                  lambda lab, op=op: f"if w{reg()} {op} w{reg()} goto {lab}",
                  lambda lab, op=op: f"if w{reg()} {op} {imm()} goto {lab}"]
    forms += [lambda lab: f"goto {lab}", lambda lab: f"gotol {lab}",
              lambda lab: f"may_goto {lab}", lambda _l: f"call {rng.randrange(1, 200)}",
              lambda _l: f"callx r{reg()}", lambda _l: "exit"]
    return forms


def generate(count: int, seed: int = 1) -> str:
    """``count`` instructions of LLVM-syntax assembly, with a label every 16 lines."""
    rng = random.Random(seed)
    forms = _forms(rng)
    lines = []
    block = 16
    for i in range(count):
        if i % block == 0:
            lines.append(f"L{i // block}:")
        last = (count - 1) // block
        target = min(i // block + 1, last) if i // block < last else max(i // block - 1, 0)
        lines.append("\t" + forms[i % len(forms)](f"L{target}"))
    lines[-1] = "\texit"
    return "\n".join(lines) + "\n"


def gas_text(code: bytes) -> str:
    """The gas-syntax text of bytecode (llvm-mc's, the oracle), jump targets as labels."""
    from pybpf.asm.gas import format_program
    from pybpf.isa import ProgramSpec, Ref, target_field

    prog = ProgramSpec.from_bytes(code)
    offsets = prog.slot_offsets()
    index_of = {slot: i for i, slot in enumerate(offsets)}
    for idx, insn in enumerate(prog.insns):
        field = target_field(insn)
        if field is None:
            continue
        rel = insn.imm if field == "imm" else insn.off
        target = index_of.get(offsets[idx] + 1 + rel)
        if target is not None and target < len(prog.insns):
            name = f"L{target}"
            prog.labels[name] = target
            prog.refs[idx] = Ref.label(name)
    return format_program(prog)


def _texts(listing: str) -> list[str]:
    out = []
    for line in listing.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip().endswith(":"):
            out.append(re.sub(r"\s+<[^<>\s]*>$", "", parts[2]).strip())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="keep the generated files here")
    args = ap.parse_args()
    n = f"{args.count // 1000}k" if args.count % 1000 == 0 else str(args.count)
    missing = need("llvm-mc-19", "llvm-objdump-19", "llvm-objcopy-19")
    if missing:
        for metric in ("assemble", "assemble_gas", "disassemble"):
            skip(BENCH, f"{metric}_{n}_s", missing)
            skip(BENCH, f"{metric}_{n}_cpu_s", missing)
        return 0
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pybpf-bench-asm-"))
    work.mkdir(parents=True, exist_ok=True)
    src, obj, raw, text = work / "prog.s", work / "prog.o", work / "prog.bin", work / "text.bin"
    src.write_text(generate(args.count))

    mc = ["llvm-mc-19", "-triple", "bpfel", "-mcpu=v4", "-filetype=obj", "-o", str(obj), str(src)]
    env = pybpf_env(work / "pycache")
    mc_wall, mc_cpu = measure(mc, repeat=args.repeat)
    asm_wall, asm_cpu = measure(pybpf_cmd() + ["asm", str(src), "--syntax", "llvm", "-o", str(raw)],
                                repeat=args.repeat, env=env)
    subprocess.run(["llvm-objcopy-19", "-O", "binary", "--only-section=.text", str(obj),
                    str(text)], check=True)
    same = raw.read_bytes() == text.read_bytes()
    emit(BENCH, f"assemble_{n}_s", asm_wall, "llvm-mc-19", mc_wall, instructions=args.count,
         identical_bytes=same)
    emit(BENCH, f"assemble_{n}_cpu_s", asm_cpu, "llvm-mc-19", mc_cpu, instructions=args.count)

    gas = work / "prog.gas"
    gas.write_text(gas_text(text.read_bytes()))
    gas_raw = work / "prog-gas.bin"
    gas_wall, gas_cpu = measure(pybpf_cmd() + ["asm", str(gas), "--syntax", "gas", "-o",
                                               str(gas_raw)], repeat=args.repeat, env=env)
    same = gas_raw.read_bytes() == text.read_bytes()
    emit(BENCH, f"assemble_gas_{n}_s", gas_wall, "llvm-mc-19", mc_wall, instructions=args.count,
         identical_bytes=same)
    emit(BENCH, f"assemble_gas_{n}_cpu_s", gas_cpu, "llvm-mc-19", mc_cpu, instructions=args.count)

    objdump = ["llvm-objdump-19", "-d", "--mcpu=v4", str(obj)]
    od_wall, od_cpu = measure(objdump, repeat=args.repeat)
    dis_wall, dis_cpu = measure(pybpf_cmd() + ["disasm", str(raw)], repeat=args.repeat, env=env)
    ours = subprocess.run(pybpf_cmd() + ["disasm", str(raw)], capture_output=True, text=True,
                          check=True).stdout
    theirs = subprocess.run(objdump, capture_output=True, text=True, check=True).stdout
    a, b = _texts(ours), _texts(theirs)
    mismatches = sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))
    emit(BENCH, f"disassemble_{n}_s", dis_wall, "llvm-objdump-19", od_wall,
         instructions=args.count, text_mismatches=mismatches)
    emit(BENCH, f"disassemble_{n}_cpu_s", dis_cpu, "llvm-objdump-19", od_cpu,
         instructions=args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
