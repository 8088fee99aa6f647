"""Fixtures for the VM's object tests: a vmlinux.h printed by pybpf's own BTF printer."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def vmlinux_h(tmp_path_factory):
    """A directory holding vmlinux.h printed by pybpf.btf from the running kernel's BTF."""
    from pybpf.btf import vmlinux
    from pybpf.btf.cprint import to_c

    d = tmp_path_factory.mktemp("vmlinux-vm")
    (d / "vmlinux.h").write_text(to_c(vmlinux()))
    return d
