"""GENERATED: helper ids, names and C signatures; kfunc names.

``helpers_table.py`` is written by ``gen_helpers_table.py`` (beside it) from the running
kernel's BTF (``enum bpf_func_id``) and the uapi header's helper comment block, and
``helper_names.py`` (the names alone, by id: what start-up paths read) from the same BTF;
``kfuncs_table.py`` by ``gen_kfuncs_table.py`` from the functions the kernel's BTF tags
``bpf_kfunc``. Never edit them by hand. Regenerate with::

    python -m pybpf.isa.generated.gen_helpers_table > pybpf/isa/generated/helpers_table.py
    python -m pybpf.isa.generated.gen_helpers_table names > pybpf/isa/generated/helper_names.py
    python -m pybpf.isa.generated.gen_kfuncs_table > pybpf/isa/generated/kfuncs_table.py
"""
