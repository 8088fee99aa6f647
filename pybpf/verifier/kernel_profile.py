"""What the verifier must know about one kernel that the ISA does not say: which program types
may call each helper and which helpers are GPL-only.

These are facts of a kernel *build*, not of a version: two 6.18 kernels with different
configurations differ (one machine of this project's kind refuses ``bpf_xdp_adjust_meta`` in
XDP programs and has no ``lwt_seg6local`` helpers). So the verifier reads them from a
`KernelProfile`, as data:

- `SHIPPED`: the table generated on the project's reference kernel
  (``pybpf/verifier/generated/helper_availability.py``, by ``gen_helper_availability.py`` beside it);
- the running kernel's own profile, measured by probes that ``pybpf.kernel.features``
  loads (``running_kernel_profile()``) and kept in a cache file per kernel build, which
  `default` reads without touching the kernel itself.

`default` is the profile the verifier uses when it is given none: the running kernel's when
its cache file exists, else `SHIPPED`.

>>> SHIPPED.allows(1, "xdp")            # bpf_map_lookup_elem
True
>>> SHIPPED.allows(44, "socket_filter")  # bpf_xdp_adjust_head
False
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .generated import helper_availability as _shipped


@dataclass(frozen=True)
class KernelProfile:
    """Helper availability and GPL-only flags of one kernel build."""

    name: str
    #: helper id -> program types whose verifier accepts a call to it
    available_in: Mapping[int, frozenset[str]]
    gpl_only: frozenset[int]
    #: program types whose availability was measured (others are not judged)
    probed_prog_types: frozenset[str]

    def allows(self, helper: int, prog_type: str) -> bool:
        """Whether ``prog_type`` programs may call helper number ``helper`` on this kernel.

        A program type that was not probed (``syscall``, ``tracing``...) is not judged.
        """
        if prog_type not in self.probed_prog_types:
            return True
        return prog_type in self.available_in.get(helper, ())

    def is_gpl_only(self, helper: int) -> bool:
        return helper in self.gpl_only

    def to_json(self) -> dict:
        return {"name": self.name,
                "available_in": {str(h): sorted(t) for h, t in sorted(self.available_in.items())},
                "gpl_only": sorted(self.gpl_only),
                "probed_prog_types": sorted(self.probed_prog_types)}

    @classmethod
    def from_json(cls, doc: Mapping) -> KernelProfile:
        return cls(str(doc["name"]),
                   {int(h): frozenset(t) for h, t in doc["available_in"].items()},
                   frozenset(int(h) for h in doc["gpl_only"]),
                   frozenset(doc["probed_prog_types"]))

    @classmethod
    def from_probes(cls, name: str, available_in: Mapping[int, Iterable[str]],
                    gpl_only: Iterable[int], probed_prog_types: Iterable[str]) -> KernelProfile:
        return cls(name, {h: frozenset(t) for h, t in available_in.items() if t},
                   frozenset(gpl_only), frozenset(probed_prog_types))


SHIPPED = KernelProfile.from_probes(
    "shipped", _shipped.AVAILABLE_IN, (h for h, gpl in _shipped.GPL_ONLY.items() if gpl),
    _shipped.PROBED_PROG_TYPES)


def cache_dir() -> Path:
    """Where probed profiles are kept (``$XDG_CACHE_HOME/pybpf`` or ``~/.cache/pybpf``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pybpf" / "kernels"


def running_kernel_key() -> str:
    """A name for the running kernel build: its release and a hash of ``/proc/version``
    (which carries the build's compiler, number and date), so a rebuilt kernel of the same
    release gets a profile of its own."""
    release = os.uname().release
    try:
        with open("/proc/version", "rb") as f:
            build = f.read()
    except OSError:
        build = b""
    return f"{release}-{hashlib.sha256(build).hexdigest()[:12]}"


def cache_path() -> Path:
    """The cache file of the running kernel's profile."""
    return cache_dir() / f"{running_kernel_key()}.json"


_default: KernelProfile | None = None


def default() -> KernelProfile:
    """The running kernel's profile when it has been measured here, else `SHIPPED`."""
    global _default
    if _default is None:
        try:
            _default = KernelProfile.from_json(json.loads(cache_path().read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return SHIPPED  # not measured (yet): try the cache again next time
    return _default


def set_default(profile: KernelProfile | None) -> None:
    """Make ``profile`` the default (None: read the cache again on next use)."""
    global _default
    _default = profile


__all__ = ["SHIPPED", "KernelProfile", "cache_dir", "cache_path", "default", "running_kernel_key",
           "set_default"]
