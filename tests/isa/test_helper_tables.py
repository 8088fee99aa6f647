"""The two generated helper tables agree: the names by id of pybpf.isa.generated (what
start-up paths read) and helpers_table.py (names and signatures), both written by
gen_helpers_table.py."""

from __future__ import annotations

from pybpf.isa.generated import NAMES
from pybpf.isa.generated.helpers_table import HELPERS
from pybpf.isa import helper_id, helper_name
from pybpf.isa.helpers import helper_signature


def test_names_table_is_the_signature_tables_names() -> None:
    assert {num: name for num, name in enumerate(NAMES) if name is not None} == \
        {num: entry[0] for num, entry in HELPERS.items()}


def test_lookups_read_the_tables() -> None:
    for num, (name, sig) in HELPERS.items():
        assert helper_name(num) == "bpf_" + name
        assert helper_id(name) == num and helper_id("bpf_" + name) == num
        assert helper_signature(num) == sig
    for num in (-1, len(NAMES), 1 << 40):
        assert helper_name(num) is None and helper_signature(num) is None
    assert helper_id("no_such_helper") is None


def test_helpers_module_reexports_the_packages_lookups() -> None:
    import pybpf.isa as isa
    import pybpf.isa.helpers as helpers

    assert helpers.helper_id is isa.helper_id and helpers.helper_name is isa.helper_name
    assert isa.helper_signature is helpers.helper_signature
    assert helpers.misspelled_helper("bpf_map_lookup_elm") == "bpf_map_lookup_elem"
