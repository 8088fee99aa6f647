"""Write docs/verifier-errors.md from the catalog (run: python -m tests.explain.gen_verifier_errors).

Needs clang-19 for the C programs; the kernel is not needed (the tests check the kernel)."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from pybpf.asm import assemble
from pybpf.elf.loader import BpfObject
from pybpf.explain import explain_program
from pybpf.explain.api import explain_object
from pybpf.explain.counterexample import NO_COUNTEREXAMPLE
from pybpf.explain.explanation import KIND_WORDS
from pybpf.verifier.messages import MESSAGES

from .catalog_format import entries

ROOT = Path(__file__).resolve().parents[2]
INTRO = """# Verifier errors: what the kernel says, what it means, how to fix it

Each of the {messages} messages below is one the running kernel (6.18) prints, in its own words.
They come with {programs} programs in `tests/explain/catalog/`: {both} messages have both a C
program and an assembly program (the others are assembly only: clang never emits them), and
{compiler} programs are correct C that clang-19 -O2 lowers into code the verifier rejects. The
live kernel rejects each program with its message, and a fixed variant (the hint applied) is
accepted by both pybpf and the kernel; the tests (`tests/explain/test_catalog.py`) load all of
them on every CI run. `pybpf verify FILE` and `pybpf explain LOG --object FILE` print the
explanations quoted here. This page is written by `python -m tests.explain.gen_verifier_errors`.

The *kind* says where the fix lies: a bug in the program (fix the logic), the compiler's
lowering of correct source (a barrier or a rewrite of the same logic), a limit of the verifier
(restructure), or the environment (program type, kernel, privileges, BTF).
"""


def main() -> None:
    rows: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for e in entries():
            if e.lang == "c":
                o = Path(tmp, e.path.stem + ".o")
                subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf",
                                "-I/usr/include/x86_64-linux-gnu", "-c", str(e.path), "-o", str(o)],
                               check=True, cwd=e.path.parent)
                with BpfObject.open(str(o)) as obj:
                    (ex,) = explain_object(obj, counterexample=True)
            else:
                ex = explain_program(assemble(e.asm_variant(False), filename=e.path.name,
                                              check_targets=False), e.prog_type,
                                     counterexample=True)
            rows.setdefault(e.message, []).append((e, ex))
    all_entries = [e for lst in rows.values() for e, _ in lst]
    both = sum({"c", "asm"} <= {e.lang for e, _ in lst} for lst in rows.values())
    intro = INTRO.format(messages=len(rows), programs=len(all_entries), both=both,
                         compiler=sum(e.kind == "compiler" for e in all_entries))
    out = [intro, "| message | kind | programs |", "| --- | --- | --- |"]
    fmts = {m: (MESSAGES[m].fmt if m in MESSAGES else m.strip('"')) for m in rows}
    for msg, lst in rows.items():
        cell = fmts[msg].replace("|", "\\|")
        out.append(f"| `{cell}` | {lst[0][1].kind} | " + ", ".join(f"`{e.name}`" for e, _ in lst) + " |")
    out.append("")
    for msg, lst in rows.items():
        ex0 = lst[0][1]
        out += [f"## `{fmts[msg]}`", "", f"**Meaning.** {ex0.explanation}", "",
                f"**Kind.** {KIND_WORDS.get(ex0.kind, ex0.kind)}.", ""]
        for e, ex in lst:
            lang = {"c": "C", "asm": "assembly"}[e.lang]
            text = ex.source.text.strip() if ex.source else ""
            line = (f"- `{e.name}` ({lang}): the kernel says `{(ex.message or '').splitlines()[0]}` "
                    f"at insn {ex.insn}, line {ex.line} (`{text}`)")
            rc = ex.root_cause
            if rc is not None and rc.line is not None and rc.insn != ex.index:
                line += f"; root cause: line {rc.line.line} (`{rc.line.text.strip()}`)"
            out.append(line + f". Fix ({lang}): {ex.hint.rstrip('.')}. {_counterexample(ex)}")
        out.append("")
    out += _counterexamples(all_entries, rows)
    (ROOT / "docs" / "verifier-errors.md").write_text("\n".join(out))


def _counterexample(ex: Any) -> str:
    ce = ex.counterexample
    if ce is None:
        return "No counterexample." if ex.no_counterexample else ""
    what = ce.describe_inputs()
    if ce.replayed:
        return f"Counterexample ({what}): the VM faults at insn {ce.fault_insn}: {ce.fault}."
    return f"Counterexample ({what}): not replayed ({ce.fault})."


def _counterexamples(all_entries: list[Any], rows: dict[str, list[Any]]) -> list[str]:
    replayed = sorted({ex.error_class for lst in rows.values() for _, ex in lst
                       if ex.counterexample is not None and ex.counterexample.replayed})
    n = sum(ex.counterexample is not None and ex.counterexample.replayed
            for lst in rows.values() for _, ex in lst)
    out = ["## Counterexamples", "",
           "`pybpf verify --counterexample` looks for concrete inputs consistent with the "
           "verifier's abstract state at the failing instruction (map entries present or "
           "not, the bytes loaded from map values, the context and the packet, the packet's "
           "length) and replays the program on them in the VM: the counterexample is "
           "*replayed* when the VM faults at the instruction the kernel named, through its "
           "checked memory (a NULL or out-of-bounds access; a helper's memory argument checked "
           "at the call, as the verifier's contract for it says; the call depth; a ring "
           "buffer record still held at exit) or the replay's check of the rule the kernel "
           "applies there (pointer arithmetic that leaves its object, the return value). "
           f"On this catalog {n} of {len(all_entries)} programs replay, in the classes "
           + ", ".join(f"`{c}`" for c in replayed) + ".", "",
           "The others have no counterexample, for one of these reasons "
           "(`pybpf.explain.counterexample.NO_COUNTEREXAMPLE`; the test enumerates every "
           "program of the catalog and asserts one or the other):", "",
           "| case | why there is no counterexample |", "| --- | --- |"]
    out += [f"| `{case}` | {why} |" for case, why in NO_COUNTEREXAMPLE.items()]
    return out + [""]


if __name__ == "__main__":
    main()
