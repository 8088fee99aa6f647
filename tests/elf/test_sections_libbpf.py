"""pybpf's SEC() table against libbpf's own reading of section names.

libbpf-dev 1.1's ``libbpf_prog_type_by_name`` (a small C program built here with gcc)
gives the program type and expected attach type of each name it knows; pybpf's
`parse_section` must give the same. Names newer than libbpf 1.1 (tcx, netkit, unix
sockaddr hooks, kprobe/uprobe sessions...) are checked against the kernel's own enums.
The ``?`` no-autoload prefix must leave everything but ``autoload`` unchanged.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pybpf import uapi
from pybpf.elf.sections import SECTION_DEFS, Match, parse_section
from pybpf.errors import ElfError

HERE = Path(__file__).parent

#: libbpf gives 0 (BPF_CGROUP_INET_INGRESS) as "no expected attach type"
_NONE = 0


def _names() -> list[str]:
    out = []
    for row in SECTION_DEFS:
        out.append(row.name)
        if row.match is Match.PLUS:
            out.append(f"{row.name}/some_target")
    return out


@pytest.fixture(scope="module")
def libbpf_answers(tmp_path_factory) -> dict[str, tuple[int, int] | None]:
    if shutil.which("gcc") is None or not Path("/usr/include/bpf/libbpf.h").exists():
        pytest.fail("gcc and libbpf-dev are needed (make deps installs them)")
    exe = tmp_path_factory.mktemp("libbpf") / "libbpf_sec"
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(HERE / "libbpf_sec.c"), "-lbpf"],
                   check=True, capture_output=True)
    out = subprocess.run([str(exe)], input="\n".join(_names()) + "\n", capture_output=True,
                         text=True, check=True).stdout
    answers: dict[str, tuple[int, int] | None] = {}
    for line in out.splitlines():
        name, *rest = line.split(" ")
        answers[name] = None if rest == ["unknown"] else (int(rest[0]), int(rest[1]))
    return answers


@pytest.mark.parametrize("name", _names())
def test_section_like_libbpf(libbpf_answers, name):
    spec = parse_section(name)
    ptype = uapi.prog_type(spec.prog_type)
    attach = uapi.attach_type(spec.expected_attach_type) if spec.expected_attach_type else _NONE
    theirs = libbpf_answers[name]
    if theirs is None:  # newer than libbpf 1.1: the names must at least be the kernel's
        assert ptype >= 0 and attach >= 0
        return
    assert (ptype, attach) == theirs, (spec.prog_type, spec.expected_attach_type)


@pytest.mark.parametrize("name", _names())
def test_question_mark_only_turns_off_autoload(name):
    plain, lazy = parse_section(name), parse_section("?" + name)
    assert plain.autoload and not lazy.autoload
    assert (lazy.prog_type, lazy.expected_attach_type, lazy.target, lazy.sleepable,
            lazy.attach_btf, lazy.xdp_frags) == (plain.prog_type, plain.expected_attach_type,
                                                 plain.target, plain.sleepable, plain.attach_btf,
                                                 plain.xdp_frags)
    assert lazy.section == "?" + name


@pytest.mark.parametrize("name", ["xdpx", "xdp/", "tcx", "socket/x", "?", "??tc", "kprobes/x",
                                  "cgroup_skb", "raw_tpx/sys_enter", ""])
def test_unknown_names_refused(name):
    with pytest.raises(ElfError, match="unknown program section name"):
        parse_section(name)


def test_xdp_frags_and_sleepable_flags():
    assert parse_section("xdp.frags").xdp_frags and not parse_section("xdp").xdp_frags
    assert parse_section("xdp.frags/devmap").xdp_frags
    assert parse_section("uprobe.session.s/x:y").sleepable
    assert parse_section("?lsm.s/file_open").sleepable
