"""The live kernel as the verifier oracle: load a `ProgramSpec` and return the kernel's verdict.

The instruction index and error lines are extracted from the log exactly as the
suite does (`tests.verifier.suite_format.kernel_error`), so the campaign, the
suite and the engine tests compare pybpf with the same reading of the kernel.

>>> from pybpf.asm import assemble
>>> kernel_verdict(assemble("exit"), "socket_filter").message   # doctest: +SKIP
'R0 !read_ok'
"""
from __future__ import annotations

from dataclasses import dataclass

from pybpf.errors import KernelError, ProgLoadError, PybpfError
from pybpf.isa.program import ProgramSpec

from .suite_format import kernel_error


@dataclass(frozen=True)
class KernelVerdict:
    """The kernel's verdict: accepted, and for a rejection the instruction and error lines."""

    accepted: bool
    insn: int | None = None
    message: str | None = None
    processed: int | None = None
    verification_us: int | None = None


def kernel_verdict(program: ProgramSpec, prog_type: str, *, expected_attach_type: str | None = None,
                   log_level: int = 1) -> KernelVerdict:
    """Load ``program`` as ``prog_type`` (root), close it again, and return the verdict.

    Maps are created from the program's ``.map`` declarations and closed with it. A
    load that fails before verification (e.g. a map the kernel cannot create) is a
    rejection whose message is the error itself.
    """
    from pybpf.kernel.prog import LoadOptions, load

    try:
        prog = load(program, prog_type, options=LoadOptions(log_level=log_level, expected_attach_type=expected_attach_type))
    except ProgLoadError as e:
        insn, lines = kernel_error(e.log or "")
        return KernelVerdict(False, insn, "\n".join(lines) if lines else str(e))
    except (KernelError, PybpfError) as e:
        return KernelVerdict(False, None, f"load failed: {e}")
    with prog:
        st = prog.stats
        return KernelVerdict(True, processed=st.processed_insns, verification_us=st.verification_time_us)
