"""``pybpf map`` and ``pybpf features`` on the live kernel."""
from __future__ import annotations

import json
import os
import uuid

import pytest

from pybpf.cli import main

pytestmark = pytest.mark.kernel


def test_map_list_and_show(capsys):
    from pybpf.isa import MapSpec
    from pybpf.kernel.fs import ensure_bpffs
    from pybpf.kernel.maps import HashMap

    with HashMap.create(MapSpec(name="cli_map_t", key_size=4, value_size=8, max_entries=8)) as m:
        m.update((7).to_bytes(4, "little"), (42).to_bytes(8, "little"))
        assert main(["map", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["maps"]
        assert any(r["id"] == m.id and r["name"] == "cli_map_t" for r in listed)
        assert main(["map", str(m.id), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["type"] == "hash" and doc["entries"] == [{"key": "07000000",
                                                             "value": "2a00000000000000"}]
        path = os.path.join(ensure_bpffs(), f"pybpf_cli_{uuid.uuid4().hex[:8]}")
        m.pin(path)
        try:
            assert main(["map", path]) == 0
            assert "07000000: 2a00000000000000" in capsys.readouterr().out
        finally:
            os.unlink(path)


def test_map_unknown_id_is_a_clear_error(capsys):
    assert main(["map", "999999999"]) == 1
    assert "BPF_MAP_GET_FD_BY_ID" in capsys.readouterr().err


def test_features(capsys):
    assert main(["features", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["prog_types"]["xdp"] and doc["map_types"]["ringbuf"]
    assert main(["features", "--helpers", "xdp", "--json"]) == 0
    helpers = json.loads(capsys.readouterr().out)["helpers"]
    assert "bpf_xdp_adjust_head" in helpers and "bpf_skb_store_bytes" not in helpers
