"""kconfig externs get the running kernel's configuration values."""
from __future__ import annotations

import gzip
import os
import re
import struct

import pytest

from pybpf.elf.kconfig import kernel_version_code
from pybpf.elf.loader import BpfObject

pytestmark = [pytest.mark.kernel, pytest.mark.clang]


def _config(name: str) -> str | None:
    text = gzip.open("/proc/config.gz").read().decode()
    m = re.search(rf"^{name}=(.*)$", text, re.M)
    return m.group(1) if m else None


def test_kconfig_values(bpf_compile):
    if not os.path.exists("/proc/config.gz"):
        pytest.skip("this kernel exposes no /proc/config.gz")
    with BpfObject.open(str(bpf_compile("kconfig"))) as obj:
        assert obj.spec.externs["CONFIG_HZ"] == ".kconfig"
        obj.load()
        obj.programs["kconfig_prog"].prog.test_run(bytes(64))
        out = struct.unpack("<5Q", obj.bss.raw("out"))
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    assert out[0] == kernel_version_code() and out[0] >> 16 == major and (out[0] >> 8) & 0xFF == minor
    assert out[1] == int(_config("CONFIG_HZ"))
    assert out[2] == (1 if _config("CONFIG_BPF_SYSCALL") == "y" else 0)
    assert out[3] == {"y": 1, "m": 2, None: 0}[_config("CONFIG_KPROBES")]
    assert out[4] == 7


def test_missing_strong_kconfig_is_a_clear_error(tmp_path):
    import subprocess

    from pybpf.errors import ElfError

    src = tmp_path / "k.bpf.c"
    src.write_text('#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n'
                   "extern int CONFIG_PYBPF_NOPE __kconfig;\n"
                   'char LICENSE[] SEC("license") = "GPL";\n'
                   'SEC("socket") int p(void *c) { return CONFIG_PYBPF_NOPE; }\n')
    obj = tmp_path / "k.bpf.o"
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-c", str(src), "-o", str(obj),
                    f"-I/usr/include/{os.uname().machine}-linux-gnu"], check=True)
    with BpfObject.open(str(obj)) as o, pytest.raises(ElfError, match="CONFIG_PYBPF_NOPE is not set"):
        o.load()
