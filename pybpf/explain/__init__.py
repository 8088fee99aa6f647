"""Explanations of verifier rejections, on top of `pybpf.verifier`.

- `explain_program` / `Explanation` (`pybpf.explain.explanation`): the verdict told at the
  user's own line, with the provenance of the value at fault, the kind of problem, the
  root cause and a fix in the program's language;
- `pybpf.explain.source`: instruction -> source line (C line info, DSL, assembly);
- `pybpf.explain.trace` / `pybpf.explain.provenance`: the failing path, read through the
  verifier's `Observer`, and the chain of instructions that made a value what it is;
- `pybpf.explain.hints`, `pybpf.explain.kinds`: fixes per language, kinds of problem;
- `pybpf.explain.schema`: the JSON schema of ``verify --json`` / ``explain --json``.

>>> from pybpf.asm import assemble
>>> explain_program(assemble("r0 = 0\\nexit"), "socket_filter").accepted
True
"""
from .explanation import Explanation, explain_program

__all__ = ["Explanation", "explain_program"]
