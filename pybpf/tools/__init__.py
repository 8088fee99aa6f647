"""Developer tools that ship with pybpf: ``python -m pybpf.tools.importgraph``."""
