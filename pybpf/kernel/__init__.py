"""The running kernel: bpf() commands, maps, programs, links, ring/perf buffers.

Nothing outside this package touches the kernel.
"""
