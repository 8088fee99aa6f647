"""Run in a child process that dropped CAP_PERFMON and CAP_SYS_ADMIN: load each program
given on stdin (JSON list of [name, prog_type, assembly]) and print the kernel's verdicts."""
import json
import sys

from pybpf.asm import assemble
from pybpf.errors import KernelError, ProgLoadError
from pybpf.kernel.prog import LoadOptions, load


def main() -> None:
    out = {}
    for name, ptype, src in json.load(sys.stdin):
        try:
            with load(assemble(src), ptype, options=LoadOptions(log_level=1)):
                out[name] = {"accepted": True}
        except ProgLoadError as e:
            out[name] = {"accepted": False, "errno": e.errno, "log": e.log}
        except KernelError as e:
            out[name] = {"accepted": False, "errno": e.errno, "log": ""}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
