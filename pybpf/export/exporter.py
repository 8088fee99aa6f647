"""`Exporter`: a probe file loaded, attached and ready to be scraped.

>>> with Exporter("examples/syscount.py") as ex:                   # doctest: +SKIP
...     print(ex.text().decode()[:60])
# HELP syscount_counts_total counts map of syscount.py
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from ..errors import ExportError, PybpfError
from ..kernel.caps import require

__all__ = ["Exporter"]


class Exporter:
    """Loads the probes of ``path`` and collects their maps as metrics: a DSL probe file,
    or a description file that names a clang object (``OBJECT = "x.bpf.o"``) and declares
    its maps' metrics in ``METRICS``.

    ``pin`` (a bpffs directory) hands the maps and links over between exporters (see
    `pybpf.export.pins`); `close` removes the pins unless ``keep_pins``. ``bpf_stats``
    turns on the kernel's run-time accounting (``BPF_ENABLE_STATS``) while the exporter
    runs, so that ``pybpf_prog_run_seconds_total`` counts.
    """

    def __init__(self, path: str, *, pin: str | None = None, keep_pins: bool = False,
                 bpf_stats: bool = True) -> None:
        from ..dsl import load_module
        from .collector import MapCollector
        from .stats import RunTimeStats

        if not os.path.exists(path):
            raise ExportError("no such probe file", filename=path)
        self.path = path
        self.keep_pins = keep_pins
        self.session: Any = None
        self.links: list[Any] = []
        self.running: list[Any] = []  # programs adopted from pins (closed with us)
        self.stats: RunTimeStats | None = None
        self.pins: Any = None  # a PinDir with --pin
        self.ready = threading.Event()
        self.heartbeat = time.monotonic()
        self.lock = threading.Lock()
        self._registry: Any = None
        self.object: Any = None  # a BpfObject, for an object file's description
        try:
            self.module = load_module(path)
            if getattr(self.module, "OBJECT", None) is not None:
                kernel_maps, programs = self._load_object(pin)
            else:
                kernel_maps, programs = self._load_dsl(pin)
            if bpf_stats:
                self.stats = RunTimeStats()
            self.collector = MapCollector(self.plans, kernel_maps, programs,
                                          stats_enabled=self.stats.enabled if self.stats else None)
            setup = getattr(self.module, "setup", None)
            if setup is not None:
                setup()
        except BaseException:
            self.close(remove_pins=False)
            raise

    def _load_dsl(self, pin: str | None) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        """Compile, load and attach the file's @probe functions (handing over pins)."""
        from ..dsl import Session, module_probes
        from ..dsl.probe import attach_probe
        from .pins import PinDir
        from .plan import plan_metrics

        probes = module_probes(self.module)
        if not probes:
            raise ExportError("no @probe functions in this file (nor OBJECT = 'file.bpf.o')",
                              filename=self.path)
        decls: dict[str, Any] = {}
        for p in probes:
            decls.update(p.compile().maps)
        require(f"pybpf export {self.path}", prog_types=sorted(
            {spec.prog_type for p in probes for _, spec, _ in p.programs() if spec.prog_type}))
        self.pins = PinDir(pin) if pin else None
        reuse = self.pins.open_maps(decls) if self.pins else {}
        self.session = Session(probes, attach=False, maps=reuse)
        programs: list[tuple[str, Any]] = []
        for p, prog in zip(probes, self.session.progs, strict=True):
            if self.pins is not None:
                lk, runs = self.pins.attach(p, prog)
                if runs is not prog:
                    self.running.append(runs)
            else:
                lk, runs = attach_probe(p, prog), prog
            self.links.append(lk)
            programs.append((p.name, runs))
        if self.pins is not None:
            self.pins.pin_maps(self.session.kernel_maps)
        self.plans = plan_metrics(self.module, self.session.maps, filename=self.path)
        return self.session.kernel_maps, programs

    def _load_object(self, pin: str | None) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        """Load a clang object named by the description's ``OBJECT`` (relative to the
        description file), attach every program by its section, and export the maps its
        ``METRICS`` names (an object's maps carry no Python types: see `object_plans`)."""
        from ..elf.loader import BpfObject
        from .plan import object_plans

        if pin:
            raise ExportError("--pin hands over DSL probes' maps; an object's maps are pinned by "
                              "their own pinning attribute (LIBBPF_PIN_BY_NAME)", filename=self.path)
        obj_path = os.path.join(os.path.dirname(os.path.abspath(self.path)), str(self.module.OBJECT))
        if not os.path.exists(obj_path):
            raise ExportError(f"OBJECT names {obj_path}, which does not exist", filename=self.path)
        obj = BpfObject.open(obj_path)
        require(f"pybpf export {self.path}", prog_types=sorted(
            {p.spec.prog_type for p in obj.spec.programs.values() if p.spec.prog_type}))
        self.object = obj.load()
        programs = []
        for name, lp in self.object.programs.items():
            self.links.append(lp.attach())
            programs.append((name, lp.prog))
        self.plans = object_plans(self.module, self.object.maps, filename=self.path)
        return self.object.maps, programs

    # -- what the HTTP endpoints ask -------------------------------------------------------------
    def registry(self) -> Any:
        """A prometheus_client registry with this exporter's maps and the process's own
        metrics (``process_cpu_seconds_total`` ...)."""
        from prometheus_client import CollectorRegistry
        from prometheus_client.process_collector import ProcessCollector

        if self._registry is None:
            self._registry = CollectorRegistry(auto_describe=False)
            self._registry.register(self.collector)
            ProcessCollector(registry=self._registry)
        return self._registry

    def text(self, accept: str = "") -> bytes:
        """One scrape, encoded as the ``Accept`` header asks (text format by default)."""
        from prometheus_client.exposition import choose_encoder

        encoder, _ = choose_encoder(accept)
        with self.lock:
            return bytes(encoder(self.registry()))

    def healthy(self) -> tuple[bool, str]:
        """Liveness: the main loop beats and every program is still loaded in the kernel."""
        if time.monotonic() - self.heartbeat > 30:
            return False, "main loop stalled"
        try:
            for _, prog in self.collector.programs:
                prog.info()
        except PybpfError as e:
            return False, f"program gone: {e}"
        return True, "ok"

    def beat(self) -> None:
        self.heartbeat = time.monotonic()

    # -- lifetime ---------------------------------------------------------------------------------
    def close(self, *, remove_pins: bool | None = None) -> None:
        """Detach and free everything; remove the pins unless ``keep_pins`` (or
        ``remove_pins=False``, as after a failed start, where they belong to the last run)."""
        remove = (not self.keep_pins) if remove_pins is None else remove_pins
        if self.pins is not None and remove:
            self.pins.remove(self.links)
        for lk in self.links:
            try:
                lk.close()
            except PybpfError:
                pass
        self.links.clear()
        for prog in self.running:
            prog.close()
        self.running.clear()
        if self.session is not None:
            self.session.close()
            self.session = None
        if self.object is not None:
            self.object.close()
            self.object = None
        if self.stats is not None:
            self.stats.close()
            self.stats = None

    def __enter__(self) -> Exporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
