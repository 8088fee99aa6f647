"""Build hook: compiles the cffi extension ``pybpf._native`` from ``src_c/``.

Everything else lives in pyproject.toml.
"""
from setuptools import setup

setup(cffi_modules=["src_c/build_native.py:ffibuilder"])
