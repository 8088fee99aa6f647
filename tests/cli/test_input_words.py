"""`pybpf.cli._input`'s first-word test of hex text, told without the regexes (what lets a
short assembly file be read without compiling them), says what the regexes say."""

from __future__ import annotations

import random
import re

from pybpf.cli import _input


def test_first_word_and_hex_word_are_the_regexes() -> None:
    comment, word, hex_word = (re.compile(p) for p in (_input._COMMENT, _input._WORD,
                                                       _input._HEX_WORD))
    rng = random.Random(3)
    alphabet = "0aAfgx X#/,\n \t\r\xa0\u2028\x1c;r=1"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        found = word.search(comment.sub("", text))
        assert _input._first_word(text) == (found.group() if found else None), repr(text)
        w = "".join(rng.choice("0xXaFg19") for _ in range(rng.randrange(1, 6)))
        assert _input._hex_word(w) == bool(hex_word.fullmatch(w)), w


def test_detect_short_texts() -> None:
    assert _input.detect(b"r0 = 1\nexit\n") == "asm"
    assert _input.detect(b"# a comment\nb7 00 00 00 01 00 00 00\n") == "hex"
    assert _input.detect(b"0xb7, 0x00 // x\n") == "hex"
    assert _input.detect(b"b7 exit now\n") == "asm"  # more than half the words are not hex
    assert _input.detect(b"b7 exit\n") == "hex"  # a hex byte first, half hex: a bad digit
