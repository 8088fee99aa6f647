"""pybpf's static verifier: an abstract interpreter modelled on the Linux verifier.

This package starts with its foundations, which need nothing else:

- `Tnum` (`pybpf.verifier.tnum`): known bits of a 64-bit value;
- `Scalar` (`pybpf.verifier.scalar`): tnum plus signed/unsigned 64/32-bit
  bounds, with the kernel's ALU transfer functions (`pybpf.verifier.scalar_alu`)
  and conditional-jump refinement (`pybpf.verifier.scalar_branch`);
- `HELPER_PROTOS` (`pybpf.verifier.helper_protos`): what the verifier knows
  about each helper call;
- `MESSAGES` (`pybpf.verifier.messages`): the kernel's verifier message formats.

>>> from pybpf.verifier import Scalar, Tnum
>>> str(Scalar.from_tnum(Tnum(0x10, 0xf)))
'scalar(smin=umin=smin32=umin32=16,smax=umax=smax32=umax32=31,var_off=(0x10; 0xf))'
"""

from .helper_protos import HELPER_PROTOS, HelperProto, proto
from .messages import MESSAGES, Message
from .scalar import Scalar
from .scalar_branch import Branch, branch, is_branch_taken, refine
from .tnum import Tnum

__all__ = ["HELPER_PROTOS", "MESSAGES", "Branch", "HelperProto", "Message", "Scalar", "Tnum", "branch",
           "is_branch_taken", "proto", "refine"]


def __getattr__(name: str):  # the engine is imported lazily: it pulls in the asm printer
    if name in ("verify", "Report", "Verifier"):
        from . import engine, report

        return {"verify": engine.verify, "Verifier": engine.Verifier, "Report": report.Report}[name]
    raise AttributeError(f"module 'pybpf.verifier' has no attribute {name!r}")
