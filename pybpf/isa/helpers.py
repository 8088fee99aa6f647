"""Helper functions by id and by name (data generated from kernel facts).

>>> helper_id("map_lookup_elem"), helper_id("bpf_map_lookup_elem")
(1, 1)
>>> helper_name(1)
'bpf_map_lookup_elem'
"""

from __future__ import annotations

from .generated.helpers_table import HELPERS

#: helper name without ``bpf_`` prefix -> id
_BY_NAME = {name: num for num, (name, _sig) in HELPERS.items()}


def helper_id(name: str) -> int | None:
    """The id of helper ``name`` (with or without ``bpf_``), or None."""
    if name.startswith("bpf_"):
        name = name[4:]
    return _BY_NAME.get(name)


def helper_name(num: int) -> str | None:
    """The C name (``bpf_...``) of helper ``num``, or None when unknown."""
    entry = HELPERS.get(num)
    return None if entry is None else "bpf_" + entry[0]


def helper_signature(num: int) -> str | None:
    """The C prototype of helper ``num`` from the uapi header, or None."""
    entry = HELPERS.get(num)
    return None if entry is None else entry[1]
