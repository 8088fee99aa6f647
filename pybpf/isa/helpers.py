"""Helper functions by id and by name (data generated from kernel facts).

>>> helper_id("map_lookup_elem"), helper_id("bpf_map_lookup_elem")
(1, 1)
>>> helper_name(1)
'bpf_map_lookup_elem'
"""

from __future__ import annotations

from . import helper_id, helper_name  # (defined in the package: the start-up paths' two)

__all__ = ["helper_id", "helper_name", "helper_signature", "misspelled_helper"]


def helper_signature(num: int) -> str | None:
    """The C prototype of helper ``num`` from the uapi header, or None.

    >>> helper_signature(5)
    'u64 bpf_ktime_get_ns(void)'
    """
    from .generated.helpers_table import HELPERS

    entry = HELPERS.get(num)
    return None if entry is None else entry[1]


def _edits(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b`` (transpositions count one), or ``limit + 1``
    as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            cur.append(d)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def misspelled_helper(name: str) -> str | None:
    """The helper that ``name`` most likely misspells (``bpf_...``), or None when ``name`` is
    a helper, a kernel function the kfunc table knows (`pybpf.isa.generated.kfuncs_table`,
    from the kernel's BTF) or not within two edits of any helper's name (one for short
    names): then a call of it is a kfunc call.

    >>> misspelled_helper("bpf_map_lookup_elm"), misspelled_helper("bpf_strcmp")
    ('bpf_map_lookup_elem', None)
    >>> misspelled_helper("bpf_rcu_read_lock") is None   # a kfunc
    True
    """
    from .generated import NAMES
    from .generated.kfuncs_table import KFUNCS

    if helper_id(name) is not None or name in KFUNCS:
        return None
    bare = name[4:] if name.startswith("bpf_") else name
    limit = 2 if len(bare) >= 8 else 1
    best, best_d = None, limit + 1
    for candidate in NAMES:
        if candidate is None:
            continue
        d = _edits(bare, candidate, limit)
        if d < best_d:
            best, best_d = candidate, d
    return None if best is None else "bpf_" + best
