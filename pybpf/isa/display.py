"""Rich displays (``_repr_html_``) of pybpf's objects, drawn by `pybpf.viewer`.

The classes that notebooks show (`ProgramSpec` and `MapSpec` here, the verifier's
``Report``, the kernel's ``Map``) live below the viewer that draws them: the viewer imports
them, so they cannot import it. Their ``_repr_html_`` asks `html_of`, and `pybpf.viewer`
registers one drawing function per class when it is imported (``%load_ext pybpf.notebook``
imports it). Before that, `html_of` returns None and a notebook shows the plain text.

>>> class Thing:
...     pass
>>> html_of(Thing()) is None
True
>>> register(Thing, lambda t: "<b>thing</b>")
>>> html_of(Thing())
'<b>thing</b>'
>>> unregister(Thing)
"""
from __future__ import annotations

from typing import Any

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable

#: class, or its dotted name (``"pybpf.kernel.maps.base.Map"``: no import needed) -> draw
_DRAW: dict[type | str, Callable[[Any], str]] = {}


def register(cls: type | str, draw: Callable[[Any], str]) -> None:
    """Draw instances of ``cls`` (a class or its dotted name) and of its subclasses with
    ``draw(obj) -> html``."""
    _DRAW[cls] = draw


def unregister(cls: type | str) -> None:
    """Forget the drawing function of ``cls``."""
    _DRAW.pop(cls, None)


def html_of(obj: object) -> str | None:
    """The HTML of ``obj`` from the drawing function of its class (None: none registered)."""
    for klass in type(obj).__mro__:
        draw = _DRAW.get(klass) or _DRAW.get(f"{klass.__module__}.{klass.__qualname__}")
        if draw is not None:
            return draw(obj)
    return None


__all__ = ["html_of", "register", "unregister"]
