"""GENERATED: helper ids, names and C signatures.

``helpers_table.py`` is written by ``gen_helpers_table.py`` (beside it) from the running
kernel's BTF (``enum bpf_func_id``) and the uapi header's helper comment block; never
edit it by hand. Regenerate with::

    python -m pybpf.isa.generated.gen_helpers_table > pybpf/isa/generated/helpers_table.py
"""
