"""Message data of the kernel profiles (no kernel needed): rewordings round-trip through the
profile files and apply in their candidates' order; the features that decide which check
fires first on older kernels (byte swaps, negations) change the message as measured."""
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


def test_rewording_json_and_converters() -> None:
    r = Rewording("arg #(\\d+)", "arg #{1|inc}", insn="^call ")
    assert Rewording.from_json(r.to_json()) == r
    assert r.apply("Expected an initialized dynptr as arg #0", "call bpf_dynptr_data") == \
        "Expected an initialized dynptr as arg #1"
    assert r.apply("arg #0", "r0 = 1") == "arg #0"  # not a call: not reworded
    assert Rewording.from_json(["p", "t"]) == Rewording("p", "t")


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


def test_a_kernel_without_alu_safe_range_bounds_otherwise() -> None:
    """6.1 zero-extends a 32-bit modulo it cannot bound (fp + it passes, the read fails) and
    leaves an or of two unknown numbers unknown in all 64 bits (fp + it fails); 6.12 and
    6.18 the other way round (measured by the alu_safe_range probe and the C corpus)."""
    mod = assemble("call bpf_get_prandom_u32\nw0 %= 5\nr1 = r10\nr1 += -8\nr1 += r0\n"
                   "r0 = *(u8 *)(r1 + 0)\nexit")
    ored = assemble("call bpf_get_prandom_u32\nw6 = w0\ncall bpf_get_prandom_u32\nw0 |= w6\n"
                    "r1 = r10\nr1 += r0\nr0 = 0\nexit")
    fp_math = "math between fp pointer and register with unbounded min value is not allowed"
    r61 = verify(mod, "socket_filter", kernel=profile("6.1"))
    assert (r61.insn, r61.message) == (5, "invalid unbounded variable-offset read from stack R1")
    assert not verify(ored, "socket_filter", kernel=profile("6.1")).accepted
    for k in ("6.12", "6.18"):
        rep = verify(mod, "socket_filter", kernel=profile(k))
        assert (rep.insn, rep.message) == (4, fp_math), k
        assert verify(ored, "socket_filter", kernel=profile(k)).accepted, k
