"""``.kconfig`` externs: kernel configuration values a program reads as constants.

A program declares ``extern int CONFIG_HZ __kconfig;`` or
``extern unsigned LINUX_KERNEL_VERSION __kconfig;``; like libbpf, the loader fills
a read-only, frozen ``.kconfig`` array map with the running kernel's values (from
``/proc/config.gz`` or ``/boot/config-$(uname -r)``) and points each reference at
its slot. Tristates are libbpf's ``enum libbpf_tristate`` (no 0, yes 1, module 2).

>>> kernel_version_code("6.18.44-fc")
397868
"""

from __future__ import annotations

import gzip
import os
import re
from functools import cache

from ..btf import Btf, IntEncoding
from ..btf import types as T
from ..errors import ElfError

TRI_NO, TRI_YES, TRI_MODULE = 0, 1, 2


def kernel_version_code(release: str | None = None) -> int:
    """``KERNEL_VERSION(a, b, c)`` of a release string (the running kernel by default)."""
    release = release or os.uname().release
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", release)
    if not m:
        raise ElfError(f"cannot parse kernel release {release!r}")
    a, b, c = (int(x or 0) for x in m.groups())
    return (a << 16) | (b << 8) | min(c, 255)


@cache
def read_kconfig() -> dict[str, str]:
    """``CONFIG_X -> value text`` of the running kernel ("y", "m", "250", '"str"')."""
    candidates = ["/proc/config.gz", f"/boot/config-{os.uname().release}"]
    for path in candidates:
        try:
            raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
        except OSError:
            continue
        out: dict[str, str] = {}
        for line in raw.decode(errors="replace").splitlines():
            if line.startswith("CONFIG_") and "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
        return out
    raise ElfError("the program reads CONFIG_* values but the kernel configuration is not "
                   f"readable (tried {', '.join(candidates)}; load the configs module or "
                   "install the config file)")


def _value_bytes(name: str, type_id: int, btf: Btf, size: int, weak: bool) -> bytes:
    rec = btf[btf.resolve(type_id)]
    if name == "LINUX_KERNEL_VERSION":
        return kernel_version_code().to_bytes(size, "little")
    if name.startswith("LINUX_"):
        if weak:
            return bytes(size)
        raise ElfError(f"extern {name}: unknown LINUX_* kconfig value (pybpf knows "
                       "LINUX_KERNEL_VERSION)", section=".kconfig")
    text = read_kconfig().get(name)
    if text is None:
        if weak:
            return bytes(size)
        raise ElfError(f"extern {name} is not set in this kernel's configuration; declare it "
                       "__weak to read 0", section=".kconfig")
    if isinstance(rec, T.Enum):  # enum libbpf_tristate
        tri = {"y": TRI_YES, "m": TRI_MODULE, "n": TRI_NO}.get(text)
        if tri is None:
            raise ElfError(f"extern {name}: {text!r} is not a tristate", section=".kconfig")
        return tri.to_bytes(size, "little")
    if isinstance(rec, T.Int):
        if rec.encoding & IntEncoding.BOOL:
            if text not in ("y", "n"):
                raise ElfError(f"extern {name}: {text!r} is not a bool", section=".kconfig")
            return (1 if text == "y" else 0).to_bytes(size, "little")
        if text in ("y", "m", "n"):  # a tristate read into an integer
            return {"y": TRI_YES, "m": TRI_MODULE, "n": TRI_NO}[text].to_bytes(size, "little")
        try:
            value = int(text, 0)
        except ValueError:
            raise ElfError(f"extern {name}: {text!r} is not an integer", section=".kconfig") from None
        try:
            return value.to_bytes(size, "little", signed=rec.signed)
        except OverflowError:
            raise ElfError(f"extern {name}: {value} does not fit in {size} bytes",
                           section=".kconfig") from None
    if isinstance(rec, T.Array):
        if not (text.startswith('"') and text.endswith('"')):
            raise ElfError(f"extern {name}: {text!r} is not a string", section=".kconfig")
        data = text[1:-1].encode()[: size - 1]
        return data.ljust(size, b"\0")
    raise ElfError(f"extern {name}: unsupported kconfig type {rec.kind.name.lower()}",
                   section=".kconfig")


def _align_of(btf: Btf, type_id: int) -> int:
    """Natural alignment of a kconfig variable's type (arrays: their element's)."""
    rec = btf[btf.resolve(type_id)]
    if isinstance(rec, T.Array):
        return _align_of(btf, rec.type)
    size = btf.size_of(type_id) if not isinstance(rec, T.Array) else 1
    return min(size, 8) if size in (1, 2, 4, 8) else 8


def kconfig_layout(btf: Btf, weak: set[str]) -> tuple[dict[str, int], bytes]:
    """``(name -> offset, initial bytes)`` of the ``.kconfig`` map for the object's externs."""
    try:
        sec = btf[btf.find(".kconfig", "datasec")]
    except Exception:
        return {}, b""
    assert isinstance(sec, T.Datasec)
    offsets: dict[str, int] = {}
    buf = bytearray()
    # libbpf's layout: larger alignment first, then by name, each at its natural alignment
    items = []
    for vs in sec.vars:
        var = btf[vs.type]
        assert isinstance(var, T.Var)
        size = btf.size_of(var.type)
        items.append((-_align_of(btf, var.type), var.name, var, size))
    for neg_align, _name, var, size in sorted(items, key=lambda x: (x[0], x[1])):
        align = -neg_align
        off = (len(buf) + align - 1) // align * align
        buf.extend(bytes(off - len(buf)))
        buf.extend(_value_bytes(var.name, var.type, btf, size, var.name in weak))
        offsets[var.name] = off
    return offsets, bytes(buf)
