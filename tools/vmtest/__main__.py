"""The vmtest harness from the command line.

``python -m tools.vmtest profiles [KERNEL...]``: measure the kernels' profiles (the probes of
``pybpf.verifier.profile_probes`` inside each) and write ``pybpf/verifier/profiles/NAME.json``.

``python -m tools.vmtest table [KERNEL...]``: boot each kernel once with every corpus, compare
its verdicts with pybpf's prediction for it, and print the agreement as the Markdown table of
docs/kernels.md (one row per kernel and corpus). KERNEL is 6.1, 6.12 or native (the running
kernel); the default is all three.
"""
from __future__ import annotations

import sys

from . import corpus, profiles, vm


def _table(kernels: list[str]) -> None:
    from pybpf.verifier.kernel_profile import profile

    rows = []
    for k in kernels:
        programs = corpus.fleet_programs()
        b = corpus.boot(k, programs)
        comps = corpus.compare(programs, b.verdicts, profile(b.name))
        for name in dict.fromkeys(p.corpus for p in programs):
            s = corpus.Summary(b.name, b.run.release, b.run.seconds,
                               [c for c in comps if c.program.corpus == name])
            rej = s.rejections
            msg = (f"{s.messages_agreeing}/{len(rej)} ({s.messages_agreeing / len(rej):.1%})"
                   if rej else "—")
            rows.append(f"| {b.name} | `{b.run.release}` | {name} | {s.programs} | "
                        f"{s.verdicts_agreeing}/{s.programs} ({s.verdicts_agreeing / s.programs:.1%}) | "
                        f"{msg} | {b.run.seconds:.1f} s |")
    print("| kernel | release | corpus | programs | same verdict | same insn + message (rejections) "
          "| boot + run |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("profiles", "table"):
        print(__doc__, file=sys.stderr)
        return 2
    kernels = argv[1:] or [*vm.KERNELS, vm.NATIVE]
    if argv[0] == "table":
        _table(kernels)
        return 0
    for k in kernels:
        prof, run = profiles.measure(k)
        path = profiles.write(prof)
        print(f"{k}: {run.release} in {run.seconds:.1f} s -> {path} "
              f"({len(prof.probed_prog_types)} program types, {len(prof.available_in)} helpers, "
              f"{sum(r is not None for r in prof.insn_forms.values())} refused forms, "
              f"{len(prof.rewordings)} rewordings)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
