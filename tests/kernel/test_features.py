"""Feature probes against the live kernel, and against bpftool's own probes where they agree
on what a probe means."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from pybpf import uapi as A
from pybpf.errors import PybpfError
from pybpf.kernel import features
from pybpf.kernel.maps import map_class

pytestmark = pytest.mark.kernel


def test_release_and_version():
    assert features.kernel_release() == os.uname().release
    major, minor, _ = features.kernel_version()
    assert (major, minor) >= (5, 0)


def test_every_map_class_is_creatable_here():
    kinds = {n for n in A.MAP_TYPES if map_class(n).TYPE is not None}
    assert {"hash", "ringbuf", "sk_storage", "arena", "cgroup_storage"} <= kinds
    # A type this kernel refuses by policy (EPERM: arena maps on some machines of this kind)
    # is a fact of the machine; any other refusal (EINVAL, E2BIG...) means pybpf built the
    # creation attributes wrong for that type.
    answers = {n: features.map_type_support(n) for n in kinds}
    wrong = {n: s.detail for n, s in answers.items()
             if not s.supported and not s.detail.endswith(("EPERM", "EOPNOTSUPP"))}
    assert wrong == {}
    assert answers["hash"].supported and answers["ringbuf"].supported
    assert not features.has_map_type("no_such_map_type")
    assert "unknown map type" in features.map_type_support("no_such_map_type").detail


def test_prog_types():
    assert features.has_prog_type("socket_filter") and features.has_prog_type("xdp")
    assert features.prog_type_support("lsm").detail.startswith("known but refused")
    assert not features.has_prog_type("no_such_type")


@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool missing")
def test_agrees_with_bpftool_probe():
    out = json.loads(subprocess.run(["bpftool", "feature", "probe", "kernel", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
    # bpftool's prog probe for tracing/ext/lsm asks "loadable here", ours "known to the kernel"
    differ = {"tracing", "ext", "lsm"}
    for key, have in out["program_types"].items():
        name = key[len("have_"):-len("_prog_type")]
        if name not in differ:
            assert features.has_prog_type(name) == have, name
    for key, have in out["map_types"].items():
        name = key[len("have_"):-len("_map_type")]
        assert features.has_map_type(name) == have, name


@pytest.mark.parametrize("ptype,helper,expected,why", [
    ("xdp", "bpf_redirect", True, "loaded"),
    ("xdp", "bpf_xdp_adjust_head", True, ""),
    ("kprobe", "bpf_get_current_pid_tgid", True, ""),
    ("kprobe", "bpf_redirect", False, "not available"),
    ("socket_filter", "bpf_skb_store_bytes", False, "not available"),
    ("xdp", "bpf_d_path", False, "not available"),
    ("xdp", 10_000, False, "does not know"),
    ("xdp", "bpf_no_such_helper", False, "unknown helper"),
])
def test_helper_probes(ptype, helper, expected, why):
    s = features.helper_support(ptype, helper)
    assert s.supported is expected and why in s.detail


def test_helpers_for_is_a_consistent_subset():
    xdp = set(features.helpers_for("xdp"))
    kprobe = set(features.helpers_for("kprobe"))
    assert "bpf_map_lookup_elem" in xdp & kprobe
    assert "bpf_redirect" in xdp - kprobe
    assert "bpf_get_current_pid_tgid" in kprobe
    with pytest.raises(PybpfError, match="attach target"):
        features.helpers_for("tracing")
