"""GENERATED: the bpf() attribute layouts, type names and flags of the running kernel.

``attrs_table.py`` is written by ``gen_attrs_table.py`` (beside it) from the kernel's BTF;
never edit it by hand. Regenerate with::

    python -m pybpf.uapi.generated.gen_attrs_table > pybpf/uapi/generated/attrs_table.py

A test (tests/kernel/test_attrs.py) regenerates it and compares.
"""
