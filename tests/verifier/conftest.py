"""Verifier tests' shared hooks: the C corpus prints its figures in the run's summary."""
from __future__ import annotations

#: lines the C corpus test leaves for the terminal summary (every run, -q or not)
SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.write_sep("=", "C verifier corpus (issue 15)")
        for line in SUMMARY:
            terminalreporter.write_line(line)
