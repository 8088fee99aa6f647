"""GENERATED: facts of the running kernel's verifier, measured by loading probe programs.

Each table sits beside its generator; never edit a table by hand. Regenerate as root::

    python -m pybpf.verifier.generated.gen_helper_availability > pybpf/verifier/generated/helper_availability.py
    python -m pybpf.verifier.generated.gen_ctx_table > pybpf/verifier/generated/ctx_table.py

- ``helper_availability.py``: which program types may call each helper, GPL-only helpers;
- ``ctx_table.py``: which context offsets and sizes each program type may read or write,
  and what a read yields.

The generators load programs into the kernel (they are build tools, not part of the
verifier: nothing in pybpf imports them).
"""
