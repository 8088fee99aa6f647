"""`pybpf.cli.VERBS`, the table ``pybpf --help`` lists the subcommands from without importing
their modules: it must say what each module's own ``register`` says, and a subcommand's
module must still be imported when that subcommand is parsed. And the help formatter that
wraps without textwrap must wrap as it does."""

from __future__ import annotations

import argparse
import importlib
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pybpf.cli
from pybpf.cli import VERBS, _wrap, build_parser, main

HERE = Path(pybpf.cli.__file__).parent


def test_every_module_with_register_is_a_verb() -> None:
    modules = sorted(f.stem for f in HERE.glob("*.py") if not f.stem.startswith("_"))
    verbs = [m for m in modules if hasattr(importlib.import_module(f"pybpf.cli.{m}"), "register")]
    assert list(VERBS) == verbs  # sorted, as pybpf --help always listed them


@pytest.mark.parametrize("columns", ["40", "80", "123"])
def test_table_says_what_each_module_registers(monkeypatch: pytest.MonkeyPatch,
                                               columns: str) -> None:
    monkeypatch.setattr(pybpf.cli, "_COLUMNS", 0)
    monkeypatch.setenv("COLUMNS", columns)
    listed = build_parser().format_help()
    assert listed == build_parser(every=True).format_help()
    for name in VERBS:
        assert build_parser(name).format_help() == listed, name


def test_the_parsed_verb_is_registered_then() -> None:
    args = build_parser().parse_args(["asm", "x.s", "-o", "x.bin"])
    assert args.command == "asm" and args.output == "x.bin" and callable(args.func)
    args = build_parser().parse_args(["btf", "find", "task_struct"])
    assert args.command == "btf" and callable(args.func)


def test_unknown_verb_and_no_verb(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["nosuchverb"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nosuchverb'" in err and "'verify'" in err
    assert main([]) == 2
    assert "asm        assemble a text file into eBPF bytecode" in capsys.readouterr().out


def test_a_verbs_help_is_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["asm", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: pybpf asm ") and "--syntax" in out


def test_help_imports_no_verb_module() -> None:
    code = ("import sys\nfrom pybpf.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "print([m for m in sys.modules if m.startswith('pybpf.cli.')], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=HERE.parent.parent,
                          env={**os.environ, "COLUMNS": "80"})
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    assert "verify     predict the kernel verifier's verdict, explained" in proc.stdout


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main(argv)
    return capsys.readouterr().out


@pytest.mark.parametrize("columns", ["30", "60", "80", "151"])
def test_help_wrapped_as_argparse_wraps_it(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str],
                                           columns: str) -> None:
    """Every help (pybpf's, each verb's, btf's subcommands') is the text argparse's own
    formatter (textwrap) makes."""
    monkeypatch.setenv("COLUMNS", columns)
    argvs = [["--help"]] + [[verb, "--help"] for verb in VERBS] + [["btf", "dump", "--help"],
                                                                  ["btf", "find", "--help"]]
    for argv in argvs:
        monkeypatch.setattr(pybpf.cli, "_COLUMNS", 0)
        fast = _help(argv, capsys)
        with monkeypatch.context() as m:
            m.setattr(pybpf.cli, "_Formatter", argparse.HelpFormatter)
            assert _help(argv, capsys) == fast, argv


def test_wrap_is_textwrap() -> None:
    rng = random.Random(7)
    for _ in range(4000):  # (about 1400 texts of several lines, 1200 left to textwrap)
        alphabet = "aab(),.%é\xa0\u2003" + "-" * (rng.random() < 0.2)
        words = ["".join(rng.choice(alphabet) for _ in range(rng.choice((1, 1, 2, 4, 7, 12))))
                 for _ in range(rng.randrange(1, 12))]
        text, width = " ".join(words).strip(), rng.randrange(1, 40)  # (as argparse gives it)
        lines = _wrap(text, width)
        if lines is not None:
            assert lines == textwrap.wrap(text, width), (text, width)
    assert _wrap("", 10) is None and _wrap("a-b c", 3) is None and _wrap("abcd e", 3) is None
    assert _wrap("abc \xa0 d", 5) is None
