"""``python -m tools.vmtest profiles [KERNEL...]``: measure and write kernel profiles."""
from __future__ import annotations

import sys

from . import profiles, vm


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("profiles",):
        print("usage: python -m tools.vmtest profiles [6.1 6.12 native]", file=sys.stderr)
        return 2
    for k in argv[1:] or [*vm.KERNELS, vm.NATIVE]:
        prof, run = profiles.measure(k)
        path = profiles.write(prof)
        print(f"{k}: {run.release} in {run.seconds:.1f} s -> {path} "
              f"({len(prof.probed_prog_types)} program types, {len(prof.available_in)} helpers, "
              f"{sum(r is not None for r in prof.insn_forms.values())} refused forms, "
              f"{len(prof.rewordings)} rewordings)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
