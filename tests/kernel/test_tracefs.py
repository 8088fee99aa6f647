"""tracefs/bpffs discovery and tracepoint format parsing (pure parser + the live kernel)."""
from __future__ import annotations

import errno
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import KernelError, MountError, PybpfError
from pybpf.kernel import fs, tracefs

SAMPLE = """name: sched_switch
ID: 372
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:__data_loc char[] name;\toffset:28;\tsize:4;\tsigned:0;
\tfield:const char * ptr;\toffset:32;\tsize:8;\tsigned:0;
\tfield:unsigned long args[];\toffset:40;\tsize:0;\tsigned:0;

print fmt: "prev_comm=%s", REC->prev_comm
"""


# -- the pure parser ---------------------------------------------------------------------------
def test_parse_sample_fields():
    fmt = tracefs.parse_format(SAMPLE, category="sched")
    assert (fmt.category, fmt.name, fmt.id) == ("sched", "sched_switch", 372)
    f = fmt.fields
    assert list(f)[:4] == ["common_type", "common_flags", "common_preempt_count", "common_pid"]
    assert all(f[n].common for n in list(f)[:4]) and not f["prev_pid"].common
    assert (f["prev_comm"].ctype, f["prev_comm"].array_len, f["prev_comm"].size) == ("char", 16, 16)
    assert (f["prev_pid"].ctype, f["prev_pid"].signed, f["prev_pid"].offset) == ("pid_t", True, 24)
    assert f["name"].data_loc and f["name"].ctype == "char" and f["name"].array_len == 0
    assert f["ptr"].ctype == "const char *" and f["ptr"].array_len is None
    assert f["args"].array_len == 0 and f["args"].size == 0
    assert [x.name for x in fmt.record_fields] == ["prev_comm", "prev_pid", "name", "ptr", "args"]
    assert fmt.size == 40
    assert fmt.print_fmt.startswith('"prev_comm=%s"')


def test_parse_rejects_malformed_field_line_naming_it():
    bad = "name: x\nID: 1\nformat:\n\tfield:int a;\toffset:zero;\tsize:4;\n"
    with pytest.raises(PybpfError, match="line 4"):
        tracefs.parse_format(bad)
    with pytest.raises(PybpfError, match="no 'ID:' line"):
        tracefs.parse_format("name: x\nformat:\n")


@pytest.mark.parametrize("spec, expected", [
    ("syscalls:sys_enter_getpid", ("syscalls", "sys_enter_getpid")),
    ("sched/sched_switch", ("sched", "sched_switch")),
])
def test_parse_name(spec, expected):
    assert tracefs.parse_name(spec) == expected


@pytest.mark.parametrize("spec", ["", "nocolon", ":x", "x:", "a:b/../c", "../etc:passwd"])
def test_parse_name_rejects(spec):
    with pytest.raises(PybpfError, match="tracepoint name"):
        tracefs.parse_name(spec)


_ident = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
_ctype = st.sampled_from(["int", "unsigned int", "u64", "const char *", "struct foo *", "pid_t",
                          "unsigned long", "char", "__u8"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_ident, _ctype, st.integers(0, 4096), st.integers(0, 64), st.booleans(),
                          st.one_of(st.none(), st.integers(0, 32)), st.booleans()),
                min_size=1, max_size=12, unique_by=lambda t: t[0]),
       st.integers(1, 100000))
def test_format_round_trip(fields, tp_id):
    """Render random fields the way the kernel prints them; parsing gives them back."""
    lines = ["name: ev", f"ID: {tp_id}", "format:"]
    for name, ctype, off, size, signed, alen, dloc in fields:
        if dloc:
            decl = f"__data_loc {ctype}[] {name}"
        elif alen is not None:
            decl = f"{ctype} {name}[{alen}]" if alen else f"{ctype} {name}[]"
        else:
            decl = f"{ctype} {name}"
        lines.append(f"\tfield:{decl};\toffset:{off};\tsize:{size};\tsigned:{int(signed)};")
    lines.append('\nprint fmt: ""')
    fmt = tracefs.parse_format("\n".join(lines) + "\n")
    assert fmt.id == tp_id and list(fmt.fields) == [f[0] for f in fields]
    for name, ctype, off, size, signed, alen, dloc in fields:
        got = fmt.fields[name]
        assert (got.ctype, got.offset, got.size, got.signed, got.data_loc) == (ctype, off, size, signed, dloc)
        assert got.array_len == (0 if dloc else alen)


def test_parse_mounts_unescapes_octal():
    table = fs.parse_mounts("none /mnt/a\\040b tracefs rw,relatime 0 0\nshort line\n")
    assert table == [fs.Mount("none", "/mnt/a b", "tracefs", ("rw", "relatime"))]


def test_mount_error_names_the_command_when_not_root(monkeypatch):
    monkeypatch.setattr(fs, "find_mount", lambda fstype: None)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(MountError, match=r"mount -t bpf bpffs /sys/fs/bpf"):
        fs.ensure_bpffs()
    with pytest.raises(MountError, match=r"mount -t tracefs tracefs /sys/kernel/tracing"):
        fs.ensure_tracefs()


def test_mount_error_when_mount_fails(monkeypatch, tmp_path):
    def refuse(*args):
        raise OSError(errno.EPERM, "nope")

    monkeypatch.setattr(fs, "find_mount", lambda fstype: None)
    monkeypatch.setattr(fs, "_mount", refuse)
    monkeypatch.setattr(fs, "BPFFS_PATH", str(tmp_path / "bpf"))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(MountError, match="failed .*Operation not permitted.*run `mount -t bpf"):
        fs._ensure("bpf", str(tmp_path / "bpf"), "bpffs")


# -- the live kernel ---------------------------------------------------------------------------
@pytest.mark.kernel
def test_ensure_mounts_are_real_and_idempotent():
    tr = fs.ensure_tracefs()
    assert os.path.isfile(os.path.join(tr, "events", "syscalls", "sys_enter_getpid", "format"))
    assert fs.ensure_tracefs() == tr
    bpffs = fs.ensure_bpffs()
    assert any(m.target == bpffs and m.fstype == "bpf" for m in fs.mounts())
    assert fs.ensure_bpffs() == bpffs
    assert any(m.fstype == "cgroup2" and m.target == fs.cgroup2_root() for m in fs.mounts())


@pytest.mark.kernel
def test_getpid_format_and_id():
    fmt = tracefs.tracepoint_format("syscalls", "sys_enter_getpid")
    root = fs.ensure_tracefs()
    with open(f"{root}/events/syscalls/sys_enter_getpid/id") as f:
        assert fmt.id == tracefs.tracepoint_id("syscalls", "sys_enter_getpid") == int(f.read())
    nr = fmt.fields["__syscall_nr"]
    assert (nr.offset, nr.size, nr.signed, nr.ctype) == (8, 4, True, "int")
    assert fmt.fields["common_pid"].signed and fmt.fields["common_type"].size == 2


@pytest.mark.kernel
def test_raw_syscalls_args_array():
    args = tracefs.tracepoint_format("raw_syscalls", "sys_enter").fields["args"]
    assert (args.ctype, args.array_len, args.size) == ("unsigned long", 6, 48)


@pytest.mark.kernel
def test_every_format_file_parses_consistently():
    """All formats on this kernel parse; fields fit the record and never overlap."""
    events = list(tracefs.list_events())
    assert len(events) > 500 and ("syscalls", "sys_enter_getpid") in events
    for category, name in events:
        fmt = tracefs.tracepoint_format(category, name)
        assert fmt.name == name and fmt.id > 0
        spans = sorted((f.offset, f.offset + f.size) for f in fmt.fields.values())
        for (_a0, a1), (b0, _b1) in zip(spans, spans[1:], strict=False):
            assert a1 <= b0, f"{category}:{name}: overlapping fields"
        for f in fmt.fields.values():
            if f.array_len and not f.data_loc:
                assert f.size % f.array_len == 0, f"{category}:{name}.{f.name}"


@pytest.mark.kernel
def test_unknown_tracepoint_names_it():
    with pytest.raises(KernelError, match="unknown tracepoint syscalls:sys_enter_nope") as exc:
        tracefs.tracepoint_id("syscalls", "sys_enter_nope")
    assert exc.value.errno == errno.ENOENT and "no such event in category" in str(exc.value)
    with pytest.raises(KernelError, match="no such category 'nocat'"):
        tracefs.tracepoint_format("nocat", "x")
    with pytest.raises(KernelError, match="unknown tracepoint category 'nocat'"):
        list(tracefs.list_events("nocat"))
    assert "sched" in tracefs.list_categories()
