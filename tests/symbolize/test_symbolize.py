"""Symbolization against what the system says: libc's own function addresses in this
process, /proc/kallsyms, and the ELF files' build ids as readelf prints them."""

from __future__ import annotations

import ctypes
import os
import re
import subprocess

from pybpf.symbolize import KernelSymbols, Symbolizer, elf_symbols, kernel_symbols, read_maps

LIBC = ctypes.CDLL(None)


def _addr(fn):
    return ctypes.cast(fn, ctypes.c_void_p).value


def test_user_addresses_of_this_process_name_libc_functions():
    sym = Symbolizer()
    for name in ("getppid", "malloc", "qsort"):
        addr = _addr(getattr(LIBC, name))
        assert sym.user_name(os.getpid(), addr) == name
        assert sym.user_name(os.getpid(), addr + 3, offset=True) == f"{name}+3"


def test_an_exited_process_still_resolves_once_remembered():
    proc = subprocess.Popen(["sleep", "5"])
    import time

    for _ in range(100):  # until the dynamic loader has mapped libc
        maps = read_maps(proc.pid)
        if any("libc.so" in m.path for m in maps):
            break
        time.sleep(0.01)
    sym = Symbolizer()
    sym.remember(proc.pid)
    proc.kill()
    proc.wait()
    assert read_maps(proc.pid) == []  # gone: the symbolizer kept what it read
    libc = min((m for m in maps if "libc.so" in m.path), key=lambda m: m.start)
    syms = elf_symbols(libc.path)
    addr = libc.start - libc.offset + syms.address("getppid")  # the load base + the address
    assert sym.user_name(proc.pid, addr + 2, offset=True) == "getppid+2"


def test_build_id_and_file_offset_resolve_without_the_process():
    path = os.path.realpath(next(m.path for m in read_maps(os.getpid()) if "libc.so" in m.path))
    readelf = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    want = re.search(r"Build ID: ([0-9a-f]+)", readelf).group(1)
    syms = elf_symbols(path)
    assert syms.build_id == want
    off = syms.file_offset(syms.address("getppid"))
    sym = Symbolizer()
    assert sym.add_file(path) == want
    assert sym.build_id(want, off + 1)[:2] == ("getppid", 1)


def test_kernel_addresses_resolve_through_kallsyms():
    ks = kernel_symbols()
    addr = ks.address("do_sys_openat2") or ks.address("do_syscall_64")
    assert addr
    name, off = ks.lookup(addr + 5)
    assert off == 5 and ks.address(name) == addr
    assert Symbolizer().kernel_name(addr + 5, offset=True) == f"{name}+5"


def test_kallsyms_text_parsing():
    ks = KernelSymbols.parse("ffffffff81000100 t b\nffffffff81000000 T a\n0000000000000000 A zero\n")
    assert ks.lookup(0xffffffff81000050) == ("a", 0x50)
    assert ks.lookup(0xffffffff81000101) == ("b", 1)
    assert ks.lookup(0x10) is None
