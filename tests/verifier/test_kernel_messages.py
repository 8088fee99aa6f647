"""Message data of the kernel profiles (no kernel needed): rewordings round-trip through the
profile files, apply in order, and a kernel that names no instruction for a message (6.1's
global functions, validated before the program) gets a report without one."""
from __future__ import annotations

import json

from pybpf.asm import assemble
from pybpf.verifier import verify
from pybpf.verifier.kernel_profile import PROFILES_DIR, KernelProfile, Rewording, profile
from pybpf.verifier.profile_probes import REWORDINGS


def test_rewordings_round_trip_through_the_profile_files() -> None:
    for path in PROFILES_DIR.glob("*.json"):
        doc = json.loads(path.read_text())
        prof = KernelProfile.from_json(doc)
        assert prof.to_json().get("rewordings") == doc.get("rewordings"), path.name


def test_every_shipped_rewording_is_a_candidate_in_candidate_order() -> None:
    order = [c.rewording for c in REWORDINGS]
    for name in ("6.1", "6.12", "6.18"):
        held = list(profile(name).rewordings)
        assert all(r in order for r in held), name
        assert held == sorted(held, key=order.index), name


def test_unnamed_rewording_round_trips() -> None:
    r = Rewording("a(\\d)", "b{1|inc}", named=False)
    assert Rewording.from_json(r.to_json()) == r
    assert r.apply("xa3") == "xb4"
    assert Rewording.from_json(["p", "t"]) == Rewording("p", "t")
    assert Rewording.from_json(["p", "t", "^call "]).insn == "^call "


def test_a_kernel_without_byte_swap_bounds_forgets_them() -> None:
    """6.1 and 6.12 make a byte-swapped or negated number unknown (measured by the
    byte_swap_bounds and neg_bounds probes): fp + it is unbounded pointer math there."""
    for op in ("r2 = be16 r2", "r2 = -r2"):
        spec = assemble(f"r2 = 0\n{op}\nr1 = r10\nr1 += -8\nr1 += r2\n*(u64 *)(r1 + 0) = 0\nr0 = 0\nexit")
        assert verify(spec, "socket_filter", kernel=profile("6.18")).accepted
        for k in ("6.1", "6.12"):
            rep = verify(spec, "socket_filter", kernel=profile(k))
            assert (rep.insn, rep.message) == (
                4, "math between fp pointer and register with unbounded min value is not allowed"), k
