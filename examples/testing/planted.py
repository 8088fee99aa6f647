"""The example probes with a bug planted, to show the suite catches it.

Each bug is a small edit of the real probe file, the kind of slip a person makes:

- ``port_byte_order`` (xdp_drop.py): the port is converted to network order by hand,
  although the DSL compares header fields in host order already;
- ``length_check_off_by_one`` (xdp_drop.py): a length check written before the header
  reads says ``>=`` where ``>`` belongs, so the shortest UDP packet to the port passes;
- ``filename_off_by_one`` (opensnoop.py): the event's filename buffer is one byte short,
  so a 127-character path loses its last character (the copy is bounded by the buffer).

`write(bug, directory)` writes the edited probe file there and returns its path.
"""
from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent
XDP_DROP = EXAMPLES / "xdp_drop.py"
OPENSNOOP = EXAMPLES / "opensnoop.py"

#: bug -> (probe file, [(text, replacement)])
BUGS = {
    "port_byte_order": (XDP_DROP, [
        ('PORT = int(os.environ.get("PYBPF_XDP_PORT", "9999"))\n',
         'PORT = int(os.environ.get("PYBPF_XDP_PORT", "9999"))\n'
         'PORT_N = socket.htons(PORT)  # planted: the DSL compares in host order already\n'),
        ("udp.dest != PORT:", "udp.dest != PORT_N:"),
    ]),
    "length_check_off_by_one": (XDP_DROP, [
        ("def drop_udp_port(ctx):\n",
         "def drop_udp_port(ctx):\n"
         "    start: u64 = ctx.data\n"
         "    end: u64 = ctx.data_end\n"
         "    if start + ETH_HLEN + 20 + 8 >= end:  # planted: > is right\n"
         "        return XDP_PASS\n"),
    ]),
    "filename_off_by_one": (OPENSNOOP, [
        ("filename: char[128]", "filename: char[127]  # planted: 127 characters and a NUL"),
    ]),
}


def write(bug: str, directory: Path) -> Path:
    """The probe file with ``bug`` planted, written into ``directory``."""
    source, edits = BUGS[bug]
    text = source.read_text()
    for old, new in edits:
        if old not in text:
            raise AssertionError(f"{source.name} changed: cannot plant {bug} ({old!r} is gone)")
        text = text.replace(old, new, 1)
    out = Path(directory) / f"{bug}_{source.name}"
    out.write_text(text)
    return out
