"""``pybpf verify --kernel K1,K2,...`` and `verify_fleet`: one verdict per kernel, each refusal
explained by what the refusing kernel's profile lacks, CO-RE resolved against each kernel."""
from __future__ import annotations

import json
from pathlib import Path

from pybpf.asm import assemble
from pybpf.cli import main
from pybpf.verifier.fleet import verify_fleet
from pybpf.verifier.kernel_profile import KernelProfile, profile

SDIV = "r0 = 7\nr0 s/= 2\nexit\n"


def test_side_by_side_table(tmp_path, capsys):
    f = tmp_path / "sdiv.s"
    f.write_text(SDIV)
    assert main(["verify", str(f), "--type", "socket_filter", "--kernel", "6.1,6.12,6.18"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "sdiv (socket_filter)"
    assert lines[1].split()[:4] == ["6.1", "rejected", "at", "insn"]
    assert lines[1].endswith("BPF_ALU uses reserved fields")
    assert lines[2].strip() == "- 6.1 does not know signed 64-bit division (s/=, cpu v4) (6.12 and 6.18 do)"
    assert lines[3].split()[:2] == ["6.12", "accepted"] and lines[4].split()[:2] == ["6.18", "accepted"]


def test_accepted_everywhere_exits_zero_and_json(tmp_path, capsys):
    f = tmp_path / "ok.s"
    f.write_text("r0 = 0\nexit\n")
    assert main(["verify", str(f), "--type", "xdp", "--kernel", "6.1,6.18", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["accepted_on"] == ["6.1", "6.18"] and set(doc["kernels"]) == {"6.1", "6.18"}
    assert doc["kernels"]["6.1"]["release"].startswith("6.1.") and doc["kernels"]["6.1"]["lacks"] == []


def test_unknown_kernel_is_a_clear_error(tmp_path, capsys):
    f = tmp_path / "ok.s"
    f.write_text("r0 = 0\nexit\n")
    assert main(["verify", str(f), "--type", "xdp", "--kernel", "6.1,5.4"]) == 1
    err = capsys.readouterr().err
    assert "no kernel profile '5.4'" in err and "6.1, 6.12, 6.18" in err and "Traceback" not in err


def test_profile_file_as_kernel(tmp_path, capsys):
    doc = profile("6.12").to_json()
    doc["name"] = "node-a"
    path = tmp_path / "node-a.json"
    path.write_text(json.dumps(doc))
    f = tmp_path / "pid.s"
    f.write_text("call bpf_get_current_pid_tgid\nr0 = 0\nexit\n")
    assert main(["verify", str(f), "--type", "socket_filter", "--kernel", f"6.1,{path}"]) == 1
    out = capsys.readouterr().out
    assert "unknown func bpf_get_current_pid_tgid#14" in out
    assert f"bpf_get_current_pid_tgid is not available to socket_filter programs on 6.1 (it is on {path})" in out


def test_lacks_name_helpers_forms_and_features():
    helper = verify_fleet(assemble("call bpf_get_current_uid_gid\nr0 = 2\nexit"), "xdp")
    assert helper.accepted_on == ["6.18"]
    assert helper.verdicts[1].lacks == [
        "bpf_get_current_uid_gid is not available to xdp programs on 6.12 (it is on 6.18)"]
    lookup = verify_fleet(assemble(
        ".map m array key=4 value=8 max_entries=4\n*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\n"
        "r1 = m ll\ncall bpf_map_lookup_elem\n*(u64 *)(r0 + 0) = 1\nr0 = 0\nexit"), "socket_filter")
    assert lookup.accepted_on == ["6.18"]
    assert lookup.verdicts[0].lacks == [
        "6.1 treats an array lookup with a constant key as possibly NULL (6.18: an array lookup "
        "with a constant in-range key cannot return NULL)"]
    never = verify_fleet(assemble("call bpf_skb_store_bytes\nr0 = 0\nexit"), "tracepoint")
    assert not never.accepted_on
    assert never.verdicts[2].lacks == [
        "bpf_skb_store_bytes is not available to tracepoint programs on 6.18 (nor on any other kernel checked)"]


def test_lacks_names_only_the_feature_that_decides():
    """Of the features a rejecting kernel differs in, the explanation keeps those whose change
    alone changes the verdict: the movsx case uses an array lookup with a constant key too
    (6.12 and 6.18 differ there as well), but only the (s8) move's range decides it."""
    case = Path(__file__).parent / "kernels" / "cases" / "movsx8_64_subreg_range.s"
    fleet = verify_fleet(assemble(case.read_text()), "socket_filter", ["6.12", "6.18"])
    assert fleet.accepted_on == ["6.18"]
    (line,) = fleet.verdicts[0].lacks
    assert line.startswith("6.12 gives a 64-bit (s8)/(s16) move")


def test_profile_round_trips_through_json():
    for k in ("6.1", "6.12", "6.18"):
        p = profile(k)
        assert KernelProfile.from_json(json.loads(json.dumps(p.to_json()))) == p
