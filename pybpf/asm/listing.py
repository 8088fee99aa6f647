"""Listing layouts shared by every printer.

``objdump``: the layout of ``llvm-objdump-19 -d --mcpu=v4``: the slot number
right-aligned in 8 columns and ``:``, a tab, the raw bytes as hex pairs (all 16
bytes of an ``lddw`` on one line), a tab, the text. Labels print as objdump
prints symbols (``0000000000000010 <name>:`` after an empty line) and a jump
whose target carries a label gets a `` <name>`` suffix (objdump prints
``<.text+0x..>`` there, from its symbol table).

``verifier``: the layout of the kernel verifier log, ``12: (b7) r0 = 1``.

>>> objdump_line(0, bytes.fromhex("b7000000 2a000000".replace(" ", "")), "r0 = 0x2a")
'       0:\\tb7 00 00 00 2a 00 00 00\\tr0 = 0x2a'
"""

from __future__ import annotations


def objdump_line(slot: int, raw: bytes, text: str) -> str:
    """One line of an objdump-style listing."""
    return f"{slot:8d}:\t{raw.hex(' ')}\t{text}"


def objdump_label(slot: int, name: str, first: bool) -> list[str]:
    """The lines objdump prints for a symbol at ``slot`` (an empty line unless first)."""
    head = f"{slot * 8:016x} <{name}>:"
    return [head] if first else ["", head]


def verifier_line(slot: int, text: str) -> str:
    """One line of a kernel verifier log listing (``text`` carries its ``(xx)`` opcode)."""
    return f"{slot}: {text}"
