"""The JSON schema of ``pybpf verify --json`` and ``pybpf explain --json`` (one object per
program), as documented in docs/cli.md.

>>> sorted(SCHEMA["required"])[:4]
['accepted', 'class', 'column', 'counterexample']
"""
from __future__ import annotations

from typing import Any

_STR = {"type": ["string", "null"]}
_INT = {"type": ["integer", "null"]}
_LINE = {"file": _STR, "line": _INT, "column": _INT, "source": _STR}

STEP: dict[str, Any] = {
    "type": "object",
    "required": ["insn", "insn_text", "role", "note", "value", "file", "line", "column", "source"],
    "properties": {
        "insn": {"type": "integer", "minimum": 0}, "insn_text": {"type": "string"},
        "role": {"enum": ["source", "copy", "op", "spill", "fill", "lost", "check", "bound", "clobber",
                          "fail"]},
        "note": {"type": "string"}, "value": _STR, "register": _INT, **_LINE,
        "before_failing": {"type": "boolean"},
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "pybpf verdict explanation",
    "type": "object",
    "required": ["program", "accepted", "processed_insns", "file", "line", "column", "source",
                 "insn", "insn_text", "message", "message_key", "class", "kind", "explanation",
                 "language", "hint", "hints", "registers", "provenance", "root_cause",
                 "counterexample"],
    "properties": {
        "program": {"type": "string"},
        "accepted": {"type": "boolean"},
        "processed_insns": {"type": ["integer", "null"]},
        **_LINE,
        "insn": _INT, "insn_text": _STR, "message": _STR, "message_key": _STR, "class": _STR,
        "kind": {"enum": [None, "program", "compiler", "verifier_limit", "environment"]},
        "explanation": _STR,
        "language": {"enum": ["c", "python", "asm"]},
        "hint": _STR,
        "hints": {"type": ["object", "null"], "properties": {"c": {"type": "string"},
                                                              "python": {"type": "string"},
                                                              "asm": {"type": "string"}}},
        "registers": {"type": "object", "additionalProperties": {"type": "string"}},
        "provenance": {"type": "array", "items": STEP},
        "root_cause": {"oneOf": [{"type": "null"}, STEP]},
        "counterexample": {"oneOf": [{"type": "null"}, {
            "type": "object",
            "required": ["registers", "replayed", "fault_insn", "fault"],
            "properties": {
                "registers": {"type": "object", "additionalProperties": {"type": "integer"}},
                "inputs": {"type": "object"},
                "replayed": {"type": "boolean"},
                "fault_insn": _INT,
                "fault": _STR,
            }}]},
        "no_counterexample": _STR,
        "log_line": _STR,
        "source_of_verdict": {"enum": ["pybpf", "kernel_log"]},
    },
}

__all__ = ["SCHEMA", "STEP"]
