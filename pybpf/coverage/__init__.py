"""Coverage of eBPF programs: which instructions, branches and source lines tests reached.

The VM records executed instructions and followed arcs into a `Coverage`
(``VM(coverage=cov)``; the pytest plugin's ``--bpf-cov`` does it for a whole session);
`Coverage.files` maps them to source lines (C through BTF line info, DSL probes through
their line map, assembly by line), and the report functions print a table like
``coverage report -m`` or write LCOV and coverage.py data files.

>>> from pybpf.asm import assemble
>>> from pybpf.vm import VM
>>> cov = Coverage()
>>> _ = VM(coverage=cov).run(assemble("r0 = 0\\nexit", filename="a.s"))
>>> print(text_report(cov.files()).splitlines()[2])
a.s         2      0      0      0   100%
"""

from .collect import Branch, Coverage, FileCoverage, merge
from .report import lcov, text_report, total_percent, write_coverage_data, write_lcov

__all__ = ["Branch", "Coverage", "FileCoverage", "lcov", "merge", "text_report", "total_percent",
           "write_coverage_data", "write_lcov"]
