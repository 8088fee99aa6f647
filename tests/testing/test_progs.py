"""Programs for verifier work, judged by the live kernel: every accepted program loads, every
near miss is refused, and pybpf's verifier agrees on both."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from pybpf.errors import KernelError
from pybpf.kernel import load
from pybpf.testing import accepted_programs, near_misses
from pybpf.testing.progs import KINDS
from pybpf.verifier import verify

pytestmark = pytest.mark.kernel


@settings(max_examples=20)
@given(prog=accepted_programs())
def test_accepted_programs_load(prog):
    with load(prog, "xdp") as p:
        assert p.test_run(bytes(64)).retval is not None
    assert verify(prog, "xdp").accepted


@settings(max_examples=30)
@given(nm=near_misses())
def test_near_misses_are_refused(nm):
    with pytest.raises(KernelError):
        load(nm.program, "xdp").close()
    with load(nm.accepted, "xdp"):
        pass
    assert not verify(nm.program, "xdp").accepted, nm.kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_refused(kind):
    @settings(max_examples=3, derandomize=True, database=None, deadline=None)
    @given(near_misses(kinds=[kind]))
    def check(nm):
        assert nm.kind == kind
        with pytest.raises(KernelError):
            load(nm.program, "xdp").close()
    check()
