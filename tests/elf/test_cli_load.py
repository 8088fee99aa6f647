"""``pybpf load``: loads every program, prints ids (or one JSON document), pins on request."""
from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from pybpf.cli import main

pytestmark = [pytest.mark.kernel, pytest.mark.clang]


def test_load_json_and_pin(bpf_compile, capsys):
    from pybpf.kernel.fs import ensure_bpffs

    pin = os.path.join(ensure_bpffs(), f"pybpf-load-{uuid.uuid4().hex[:8]}")
    try:
        assert main(["load", str(bpf_compile("subprogs")), "--json", "--pin", pin,
                     "--set", "factor=9"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["loaded"] and {p["name"] for p in doc["programs"]} == {"subprogs_xdp", "subprogs_sock"}
        assert all(p["id"] > 0 and len(p["tag"]) == 16 for p in doc["programs"])
        assert os.path.exists(os.path.join(pin, "subprogs_xdp"))
        assert os.path.exists(os.path.join(pin, "maps", "rodata"))
        # the pinned program outlives the command and sees factor=9: 9 + 100 + 10
        from pybpf.kernel.prog import Program

        with Program.from_pinned(os.path.join(pin, "subprogs_xdp")) as p:
            assert p.test_run(bytes(64)).retval == 119
    finally:
        subprocess.run(["rm", "-rf", pin], check=False)


def test_rejected_program_prints_the_log(tmp_path, capsys):
    src = tmp_path / "bad.bpf.c"
    src.write_text('#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n'
                   'char LICENSE[] SEC("license") = "GPL";\n'
                   'SEC("socket") int bad(struct __sk_buff *s) { int *p = (int *)(long)s->len; return *p; }\n')
    obj = tmp_path / "bad.bpf.o"
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-c", str(src), "-o", str(obj),
                    f"-I/usr/include/{os.uname().machine}-linux-gnu"], check=True)
    assert main(["load", str(obj)]) == 1
    out = capsys.readouterr()
    assert "invalid mem access 'scalar'" in out.out
    assert "BPF_PROG_LOAD" in out.err


def test_unknown_variable(bpf_compile, capsys):
    assert main(["load", str(bpf_compile("subprogs")), "--set", "nope=1"]) == 1
    assert "no such global variable" in capsys.readouterr().err
