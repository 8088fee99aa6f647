"""Handover through bpffs: an exporter started with ``--pin DIR`` pins its maps at
``DIR/maps/NAME`` and its links at ``DIR/links/PROBE``; the next exporter started with the
same DIR reopens them, so its counters go on from where the last one left them (the
pinned links kept the programs counting while no exporter ran). A clean shutdown removes
the pins (and so detaches the programs), unless the exporter was told to keep them.

A pinned map is reused only when it has the kind and sizes the probe declares now; a
pinned link is kept when its program has the tag (the kernel's hash of the instructions)
of the program just loaded, else it is replaced by the new program's link.
"""

from __future__ import annotations

import contextlib
import errno
import os
from typing import Any

from ..errors import ExportError, KernelError

__all__ = ["PinDir"]


class PinDir:
    """One exporter's pins under ``path`` (a directory on bpffs; a relative path is taken
    under the bpffs mount)."""

    def __init__(self, path: str) -> None:
        from ..kernel.pin import pin_path

        self.path = pin_path(path)
        self.maps_dir = os.path.join(self.path, "maps")
        self.links_dir = os.path.join(self.path, "links")
        for d in (self.path, self.maps_dir, self.links_dir):
            try:
                os.makedirs(d, exist_ok=True)
            except OSError as e:
                raise ExportError(f"cannot make pin directory {d}: {e.strerror} (it must be on "
                                  "bpffs, e.g. /sys/fs/bpf/NAME)") from e
        self.reused_maps: list[str] = []
        self.reused_links: list[str] = []

    def open_maps(self, decls: dict[str, Any]) -> dict[str, Any]:
        """The pinned maps that fit ``decls`` (map name -> `MapSpec`); a pinned map that does
        not fit is an `ExportError` naming both shapes."""
        from ..kernel import Map, map_type

        out: dict[str, Any] = {}
        for name, decl in decls.items():
            path = os.path.join(self.maps_dir, name)
            if not os.path.exists(path):
                continue
            m = Map.from_pinned(path)
            info = m.info()
            want = (map_type(decl.type), decl.key_size, decl.value_size, decl.max_entries)
            have = (info.type_id, info.key_size, info.value_size, info.max_entries)
            if want != have:
                m.close()
                for other in out.values():
                    other.close()
                raise ExportError(f"the map pinned at {path} is (type {have[0]}, key {have[1]} B, value "
                                  f"{have[2]} B, {have[3]} entries) but the probe declares (type "
                                  f"{want[0]}, key {want[1]} B, value {want[2]} B, {want[3]} entries): "
                                  f"remove {self.path} to start from zero", map=name)
            out[name] = m
            self.reused_maps.append(name)
        return out

    def pin_maps(self, kernel_maps: dict[str, Any]) -> None:
        for name, m in kernel_maps.items():
            path = os.path.join(self.maps_dir, name)
            if not os.path.exists(path):
                m.pin(path)

    def attach(self, probe: Any, prog: Any) -> tuple[Any, Any]:
        """The link of ``probe`` (loaded as ``prog``) and the program it runs: the pinned
        link when its program is the same code, else a new link (pinned), the old one gone."""
        from ..dsl.probe import attach_probe
        from ..kernel import Program, link

        path = os.path.join(self.links_dir, probe.name)
        if os.path.exists(path):
            old = link.from_pinned(path)
            try:
                running = Program.from_id(old.info().prog_id)
            except KernelError:
                running = None
            if running is not None and running.tag == prog.tag:
                self.reused_links.append(probe.name)
                return old, running
            if running is not None:
                running.close()
            old.unpin()
            old.close()  # detaches the old program before the new one attaches: no double count
        lk = attach_probe(probe, prog)
        lk.pin(path)
        return lk, prog

    def remove(self, links: list[Any]) -> None:
        """Unpin everything (links first, so nothing runs on maps about to go)."""
        for lk in links:
            with contextlib.suppress(KernelError):
                if getattr(lk, "pinned_path", None):
                    lk.unpin()
        for d in (self.links_dir, self.maps_dir):
            for name in os.listdir(d) if os.path.isdir(d) else ():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(d, name))
        for d in (self.links_dir, self.maps_dir, self.path):
            try:
                os.rmdir(d)
            except OSError as e:
                if e.errno not in (errno.ENOENT, errno.ENOTEMPTY):
                    raise
