"""Running a program to the end, the way bpftrace does: attach, print as records arrive, and
on Ctrl-C, SIGTERM, ``exit()`` or the end of ``duration``: detach, run END, drain the
records, then print every map, sorted (``"\\n\\n"`` first, as bpftrace).

SIGINT and SIGTERM only ask the run to stop (the maps are still printed); a second signal
while stopping is ignored, so a supervisor's TERM after INT does not lose the output.

`run_program` is what ``pybpf trace`` and ``pybpf probe`` call.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from .automap import AutoMap
from .probe import Probe, Session, check_attachable, program_maps
from .render import print_maps

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Stopper", "run_program"]


class Stopper:
    """Turns SIGINT and SIGTERM into a request to stop (`requested`), forwarded to the
    session once it exists; restores the previous handlers on exit."""

    def __init__(self) -> None:
        self.requested = False
        self.session: Session | None = None
        self._old: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        self.requested = True
        if self.session is not None:
            self.session.stop()

    def __enter__(self) -> Stopper:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def run_program(probes: list[Probe], namespace: dict[str, Any], *, duration: float | None = None,
                write: Callable[[str], Any] | None = None, banner: Callable[[int], None] | None = None,
                on_event: Callable[[Any], None] | None = None, on_start: Callable[[Session], None] | None = None,
                tick: Callable[[], None] | None = None, interval: float = 1.0,
                report: Callable[[Session], None] | None = None, lineinfo: bool | None = None) -> int:
    """Load, attach and run ``probes`` until stopped; then END, and the maps (or ``report``).

    ``banner(n)`` is called with the number of attach points before anything loads
    (``Attaching N probes...``); ``on_start(session)`` once everything is attached.
    """
    out = write if write is not None else _write
    check_attachable(probes)
    count = sum(len(p.attach_points) for p in probes)
    if count == 0:
        out("No probes to attach\n")
        return 1
    if banner is not None:
        banner(count)
    with Stopper() as stopper:
        with Session(probes, on_event=on_event, output=out, lineinfo=lineinfo) as session:
            stopper.session = session
            if stopper.requested:
                session.stop()
            if on_start is not None:
                on_start(session)
            session.run(duration, tick=tick, interval=interval)
            session.finish()
            if report is not None:
                report(session)
            else:
                maps = [m for m in program_maps(namespace) if isinstance(m, AutoMap)]
                out("\n\n")
                print_maps(session, maps, out)
    return 0


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
