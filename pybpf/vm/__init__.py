"""The userspace eBPF VM: run programs without root, exactly like the kernel.

- `VM.run(program, mem=..., ctx=..., packet=..., trace=...)` -> `RunResult`;
- a checked memory model (`pybpf.vm.memory`): every access resolves to a
  named region or stops the run with a `VMFault`;
- VM-side maps (`pybpf.vm.maps`) and Python helpers (`pybpf.vm.helpers`);
- a per-instruction trace callback receiving `TraceStep`s;
- helpers a test replaces (`pybpf.vm.stubs`), user/kernel memory for ``probe_read``
  (`pybpf.vm.image`); clang objects run with their maps and globals through
  `pybpf.elf.vmobject.VMObject`.

>>> from pybpf.isa import Insn, ProgramSpec
>>> VM().run(ProgramSpec([Insn(0xb7, dst=0, imm=42), Insn(0x95)])).r0
42
"""

from .alu import alu_function, end_function, jump_function
from .image import MemoryImage
from .machine import MAX_CALL_FRAMES, MAX_LOOPS, MAX_TAIL_CALLS, VM, MemChange, RunResult, Task, TraceStep
from .maps import MAP_KINDS, VMMap, make_map
from .memory import Memory, Region
from .stubs import FakeClock, HelperCall

__all__ = [
    "MAP_KINDS", "MAX_CALL_FRAMES", "MAX_LOOPS", "MAX_TAIL_CALLS", "VM", "FakeClock", "HelperCall",
    "MemChange", "Memory", "MemoryImage", "Region", "RunResult", "Task", "TraceStep", "VMMap",
    "alu_function", "end_function", "jump_function", "make_map",
]
