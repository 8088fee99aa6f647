"""Sphinx configuration of pybpf's documentation site (``make docs``)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "pybpf"
extensions = ["myst_parser", "sphinx.ext.autodoc", "apiref"]
myst_heading_anchors = 4
html_theme = "furo"
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
# an ambiguous short name in a signature (``Map`` is a kernel map and a DSL map) is not a
# broken link: Sphinx links it to neither; every other warning is an error (make docs: -W)
suppress_warnings = ["ref.python"]
