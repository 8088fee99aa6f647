"""Test kernels in QEMU: fetch and cache them, build the initramfs, boot, collect the results.

- Kernels are Debian's packaged cloud kernels (`KERNELS`): ``apt-get download`` fetches the
  newest package of each series and ``dpkg-deb -x`` unpacks it into the cache
  (``~/.cache/pybpf/vmtest``, or ``$PYBPF_VMTEST_CACHE``); only ``boot/vmlinuz`` is kept.
  Nothing is installed as the host's kernel.
- The initramfs holds busybox (Debian's ``busybox-static``), the static loader built from
  ``loader.c`` and the batch; ``/init`` mounts proc/sys/dev, runs the loader with its results
  going to the second serial port, and reboots (QEMU runs with ``-no-reboot``, so it exits).
- QEMU runs under TCG (no KVM here): the first serial port is the console (kept for
  diagnosis), the second carries the loader's results to a file.

The running kernel (``native``) replays the same batch with the same loader without a VM.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


class VmtestError(RuntimeError):
    """The harness could not run (a missing tool, a failed download, a guest that died)."""


class VmtestSkip(VmtestError):
    """QEMU cannot be had on this machine: the harness skips, saying why."""


@dataclass(frozen=True)
class KernelSpec:
    """One test kernel: the name users give (``6.1``), the Debian package the shipped profile
    was measured on (fetched when the archive still has it) and the pattern of its series
    (the newest of which is fetched otherwise)."""

    name: str
    package: str
    package_re: str

    def __str__(self) -> str:
        return self.name


#: the fleet the project checks; the running kernel is the third (6.18 on this machine)
KERNELS = {
    "6.1": KernelSpec("6.1", "linux-image-6.1.0-57-cloud-amd64", r"^linux-image-6\.1\.0-(\d+)-cloud-amd64$"),
    "6.12": KernelSpec("6.12", "linux-image-6.12.118+deb12-cloud-amd64",
                       r"^linux-image-6\.12\.(\d+)\+deb12-cloud-amd64$"),
}
NATIVE = "native"


def cache_dir() -> Path:
    base = os.environ.get("PYBPF_VMTEST_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "pybpf" / "vmtest"


def _run(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, check=True, capture_output=True, **kw)
    except FileNotFoundError:
        raise VmtestError(f"{what}: {cmd[0]} is not installed") from None
    except subprocess.CalledProcessError as e:
        err = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise VmtestError(f"{what}: {' '.join(cmd)} exited {e.returncode}: "
                          f"{err[-1] if err else 'no message'}") from None


def _apt_install(*packages: str) -> None:
    missing = [p for p in packages if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise VmtestSkip(f"cannot install {', '.join(missing)} (needs root and apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "-q", *missing], capture_output=True, env=env)
    if r.returncode:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
        r = subprocess.run(["apt-get", "install", "-y", "-q", *missing], capture_output=True, env=env)
    if r.returncode:
        tail = r.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise VmtestSkip(f"apt-get could not install {', '.join(missing)}: {tail[0]}")


def qemu_binary() -> str:
    """The QEMU system emulator, installed from Debian's ``qemu-system-x86`` when missing."""
    found = shutil.which("qemu-system-x86_64")
    if found is None:
        _apt_install("qemu-system-x86")
        found = shutil.which("qemu-system-x86_64")
    if found is None:
        raise VmtestSkip("qemu-system-x86_64 is not available after installing qemu-system-x86")
    return found


def busybox_binary() -> Path:
    """Debian's static busybox (``busybox-static`` replaces the dynamic one at /bin/busybox)."""
    _apt_install("busybox-static")
    path = Path("/bin/busybox")
    if not path.exists():
        raise VmtestError("busybox-static installed no /bin/busybox")
    return path


def loader_binary() -> Path:
    """The loader, built with ``gcc -static`` into the cache when its source changed."""
    src = HERE / "loader.c"
    out = cache_dir() / "bin" / f"vmtest-loader-{int(src.stat().st_mtime_ns)}-{src.stat().st_size}"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        _apt_install("gcc", "libc6-dev")  # libc6-dev holds the static libc
        tmp = out.with_suffix(".tmp")
        _run(["gcc", "-static", "-O2", "-Wall", "-o", str(tmp), str(src)], "building the loader")
        tmp.replace(out)
    return out


# -- kernels -----------------------------------------------------------------------------------------
def _newest_package(spec: KernelSpec) -> str:
    """The pinned package when the archive has it, else the newest of its series."""
    if subprocess.run(["apt-cache", "show", spec.package], capture_output=True).returncode == 0:
        return spec.package
    out = _run(["apt-cache", "search", "--names-only", "^linux-image-.*cloud-amd64$"],
               "apt-cache search").stdout.decode()
    best: tuple[int, str] | None = None
    for line in out.splitlines():
        name = line.split(" ", 1)[0]
        m = re.match(spec.package_re, name)
        if m and (best is None or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), name)
    if best is None:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True)
        out = _run(["apt-cache", "search", "--names-only", "^linux-image-.*cloud-amd64$"],
                   "apt-cache search").stdout.decode()
        names = [ln.split(" ", 1)[0] for ln in out.splitlines()]
        names = [n for n in names if re.match(spec.package_re, n)]
        if not names:
            raise VmtestError(f"no Debian package matches {spec.package_re} (apt-cache search)")
        best = max((int(re.match(spec.package_re, n).group(1)), n) for n in names)  # type: ignore[union-attr]
    return best[1]


def kernel_image(spec: KernelSpec) -> Path:
    """``vmlinuz`` of the kernel, from the cache or downloaded and unpacked into it.

    A cached kernel is used as it is (the newest package at the time it was fetched);
    ``PYBPF_VMTEST_REFRESH=1`` fetches the newest again."""
    kdir = cache_dir() / "kernels" / spec.name
    image = kdir / "vmlinuz"
    if image.exists() and not os.environ.get("PYBPF_VMTEST_REFRESH"):
        return image
    package = _newest_package(spec)
    kdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=kdir) as tmp:
        _run(["apt-get", "download", package], f"downloading {package}", cwd=tmp)
        debs = glob.glob(os.path.join(tmp, "*.deb"))
        if not debs:
            raise VmtestError(f"apt-get download {package} left no .deb")
        _run(["dpkg-deb", "-x", debs[0], os.path.join(tmp, "x")], f"unpacking {debs[0]}")
        found = glob.glob(os.path.join(tmp, "x", "boot", "vmlinuz-*"))
        if not found:
            raise VmtestError(f"{package} holds no boot/vmlinuz-*")
        shutil.copyfile(found[0], image.with_suffix(".tmp"))
        (kdir / "package").write_text(os.path.basename(debs[0]) + "\n")
        image.with_suffix(".tmp").replace(image)
    return image


def kernel_package(spec: KernelSpec) -> str:
    """The Debian package file the cached kernel came from."""
    try:
        return (cache_dir() / "kernels" / spec.name / "package").read_text().strip()
    except OSError:
        return "?"


# -- initramfs -----------------------------------------------------------------------------------------
_INIT = """#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
echo "vmtest: kernel $(/bin/busybox uname -r), running the batch"
/loader /batch /dev/ttyS1
echo "vmtest: loader exited $?"
/bin/busybox reboot -f
"""


def _cpio_entry(name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0), ino: int = 0) -> bytes:
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = head + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def build_initramfs(batch: bytes, path: Path) -> Path:
    """An uncompressed newc cpio: /init, /bin/busybox, /loader, /batch and the mount points."""
    entries = [("dev", 0o040755, b"", (0, 0)), ("proc", 0o040755, b"", (0, 0)),
               ("sys", 0o040755, b"", (0, 0)), ("bin", 0o040755, b"", (0, 0)),
               ("dev/console", 0o020600, b"", (5, 1)),
               ("bin/busybox", 0o100755, busybox_binary().read_bytes(), (0, 0)),
               ("init", 0o100755, _INIT.encode(), (0, 0)),
               ("loader", 0o100755, loader_binary().read_bytes(), (0, 0)),
               ("batch", 0o100644, batch, (0, 0))]
    with open(path, "wb") as f:
        for ino, (name, mode, data, rdev) in enumerate(entries, 1):
            f.write(_cpio_entry(name, mode, data, rdev, ino))
        f.write(_cpio_entry("TRAILER!!!", 0))
    return path


# -- running -------------------------------------------------------------------------------------------
@dataclass
class Run:
    """The raw outcome of one batch on one kernel."""

    kernel: str
    release: str
    results: bytes
    console: str
    seconds: float


def run_native(batch: bytes) -> Run:
    """Replay ``batch`` on the running kernel (root)."""
    with tempfile.TemporaryDirectory() as tmp:
        bpath, rpath = Path(tmp, "batch"), Path(tmp, "results")
        bpath.write_bytes(batch)
        start = time.monotonic()
        r = subprocess.run([str(loader_binary()), str(bpath), str(rpath)], capture_output=True)
        took = time.monotonic() - start
        if r.returncode:
            raise VmtestError(f"the loader exited {r.returncode}: {r.stderr.decode(errors='replace')}")
        return Run(NATIVE, os.uname().release, rpath.read_bytes(), "", took)


def run_qemu(spec: KernelSpec, batch: bytes, *, timeout: float | None = None, memory: str = "1G") -> Run:
    """Boot ``spec`` once with ``batch`` in its initramfs and return the loader's results.

    ``timeout`` (default ``$PYBPF_VMTEST_TIMEOUT`` or 1800 s) bounds the whole boot: the first
    boot of a kernel image loads every program and probe (about 16,000 loads on 6.12), which
    under TCG on a loaded 2-CPU machine took up to 19 minutes; later boots load only what the
    image's cache lacks (`tools.vmtest.cache`). A guest that panics before
    running the batch (a boot that a loaded host made fail) is booted once more."""
    try:
        return _run_qemu(spec, batch, timeout=timeout, memory=memory)
    except VmtestError as e:
        if "Kernel panic" not in str(e) or "running the batch" in str(e):
            raise
        return _run_qemu(spec, batch, timeout=timeout, memory=memory)


def _run_qemu(spec: KernelSpec, batch: bytes, *, timeout: float | None, memory: str) -> Run:
    if timeout is None:
        timeout = float(os.environ.get("PYBPF_VMTEST_TIMEOUT") or 1800)
    qemu = qemu_binary()
    image = kernel_image(spec)
    with tempfile.TemporaryDirectory() as tmp:
        initrd = build_initramfs(batch, Path(tmp, "initramfs.cpio"))
        console, results = Path(tmp, "console.log"), Path(tmp, "results")
        cmd = [qemu, "-machine", "pc", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", memory,
               "-kernel", str(image), "-initrd", str(initrd),
               # no_timer_check: under TCG on a loaded host the IO-APIC timer check can fail
               # and panic the boot ("IO-APIC + timer doesn't work!")
               "-append", "console=ttyS0 panic=-1 quiet loglevel=3 no_timer_check",
               "-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
               "-serial", f"file:{console}", "-serial", f"file:{results}"]
        start = time.monotonic()
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise VmtestError(f"{spec}: the guest did not finish within {timeout:.0f} s; console: "
                              f"{_tail(console)}") from None
        took = time.monotonic() - start
        text = console.read_text(errors="replace") if console.exists() else ""
        if r.returncode:
            raise VmtestError(f"{spec}: qemu exited {r.returncode}: "
                              f"{r.stderr.decode(errors='replace').strip()[-500:]}")
        m = re.search(r"vmtest: kernel ([^\s,]+)", text)
        if not results.exists() or not m:
            raise VmtestError(f"{spec}: the guest produced no results; console: {_tail(console)}")
        return Run(spec.name, m.group(1), results.read_bytes(), text, took)


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-1500:]
    except OSError:
        return "(no console output)"
