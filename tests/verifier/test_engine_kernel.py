"""The engine against the live kernel on hand-picked cases and on clang-compiled objects.

(The 300-program suite is tests/verifier/test_suite_*.py; these are the engine's own
smoke tests, one per mechanism.)
"""
from __future__ import annotations

import re

import pytest

from pybpf.asm import assemble
from pybpf.errors import ProgLoadError
from pybpf.verifier import verify

MAP = ".map m hash key=4 value=8 max_entries=4\n"
LOOKUP = MAP + "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = m ll\ncall 1\n"
CASES = {
    "ok": ("socket_filter", "r0 = 0\nexit"),
    "uninit_reg": ("socket_filter", "r0 = r2\nexit"),
    "r0_uninit": ("socket_filter", "exit"),
    "null_deref": ("socket_filter", LOOKUP + "r0 = *(u64 *)(r0 + 0)\nexit"),
    "null_checked": ("socket_filter", LOOKUP + "if r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit"),
    "map_oob": ("socket_filter", LOOKUP + "if r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 4)\nr0 = 0\nexit"),
    "bounded_index": ("socket_filter", LOOKUP + "if r0 == 0 goto +6\nr1 = *(u64 *)(r0 + 0)\n"
                      "if r1 > 7 goto +4\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nr0 = 0\nexit\nr0 = 0\nexit"),
    "off_by_one": ("socket_filter", LOOKUP + "if r0 == 0 goto +6\nr1 = *(u64 *)(r0 + 0)\n"
                   "if r1 > 8 goto +4\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nr0 = 0\nexit\nr0 = 0\nexit"),
    "stack_oob": ("socket_filter", "*(u64 *)(r10 - 520) = 0\nr0 = 0\nexit"),
    "fp_write": ("socket_filter", "r10 = 0\nr0 = 0\nexit"),
    "unreachable": ("socket_filter", "r0 = 0\nexit\nr0 = 1\nexit"),
    "ctx_bad": ("socket_filter", "r0 = *(u32 *)(r1 + 1000)\nexit"),
    "ret_range": ("cgroup_skb", "r0 = 5\nexit"),
    "helper_arg": ("socket_filter", "r1 = 0\nr2 = 0\ncall 1\nr0 = 0\nexit"),
    "unknown_helper": ("socket_filter", "call 9999\nr0 = 0\nexit"),
    "ringbuf_leak": ("socket_filter", ".map rb ringbuf max_entries=4096\nr1 = rb ll\nr2 = 8\nr3 = 0\n"
                     "call 131\nr0 = 0\nexit"),
    "ringbuf_ok": ("socket_filter", ".map rb ringbuf max_entries=4096\nr1 = rb ll\nr2 = 8\nr3 = 0\n"
                   "call 131\nif r0 == 0 goto +4\n*(u64 *)(r0 + 0) = 1\nr1 = r0\nr2 = 0\ncall 132\n"
                   "r0 = 0\nexit"),
    "unbounded_math": ("socket_filter", LOOKUP + "if r0 == 0 goto +3\nr1 = *(u64 *)(r0 + 0)\n"
                       "r0 += r1\nr0 = *(u8 *)(r0 + 0)\nr0 = 0\nexit"),
    "ptr_bitop": ("socket_filter", "r1 &= 7\nr0 = 0\nexit"),
    "div_zero": ("socket_filter", "r0 = 1\nr0 /= 0\nexit"),
    "bad_shift": ("socket_filter", "r0 = 1\nr0 <<= 64\nexit"),
    "pkt_oob": ("xdp", "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit"),
    "pkt_ok": ("xdp", "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 1\n"
               "if r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit"),
    "pkt_strict": ("xdp", "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 2\n"
                   "if r4 < r3 goto +2\nr0 = 2\nexit\nr0 = *(u16 *)(r2 + 0)\nr0 = 2\nexit"),
    "ld_abs_xdp": ("xdp", "r6 = r1\nr0 = *(u8 *)skb[0]\nexit"),
    "bounded_loop": ("socket_filter", "r0 = 0\nr1 = 0\nl:\nr0 += r1\nr1 += 1\nif r1 < 100 goto l\nexit"),
    "infinite_loop": ("socket_filter", "r0 = 0\nl:\nr0 += 0\nif r0 == 0 goto l\nexit"),
    "subprog": ("socket_filter", "r1 = 3\ncall f\nexit\nf:\nr0 = r1\nr0 += 1\nexit"),
    "subprog_uninit": ("socket_filter", "call f\nexit\nf:\nr0 = r6\nexit"),
    "socket_ref": ("sched_cls", "".join(f"*(u64 *)(r10 - {o}) = 0\n" for o in (8, 16, 24, 32, 40))
                   + "r2 = r10\nr2 += -40\nr3 = 36\nr4 = 0\nr5 = 0\ncall bpf_sk_lookup_tcp\n"
                   "if r0 == 0 goto +2\nr1 = r0\ncall bpf_sk_release\nr0 = 0\nexit"),
    "socket_leak": ("sched_cls", "".join(f"*(u64 *)(r10 - {o}) = 0\n" for o in (8, 16, 24, 32, 40))
                    + "r2 = r10\nr2 += -40\nr3 = 36\nr4 = 0\nr5 = 0\ncall bpf_sk_lookup_tcp\n"
                    "r0 = 0\nexit"),
}


def kernel_verdict(prog_type: str, text: str) -> tuple[bool, int | None, str | None]:
    from pybpf.kernel.prog import LoadOptions, load

    try:
        load(assemble(text), prog_type, options=LoadOptions(log_level=1)).close()
        return True, None, None
    except ProgLoadError as e:
        insn, msg = None, []
        for line in (x for x in e.log.strip().splitlines() if x.strip()):
            m = re.match(r"^(\d+): \(", line)
            if m:
                insn, msg = int(m.group(1)), []
            elif not line.startswith(("processed ", "verification time", "stack depth", "func#")) \
                    and not re.match(r"^(R\d+_?\w*=|last_idx|mark_precise|frame\d|cur state:|old state:)",
                                     line):
                msg.append(line)
        m = re.search(r"(?:unreachable insn|infinite loop detected at insn) (\d+)", "\n".join(msg))
        return False, int(m.group(1)) if m else insn, "\n".join(msg)


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_kernel(name):
    prog_type, text = CASES[name]
    accepted, insn, message = kernel_verdict(prog_type, text)
    report = verify(assemble(text), prog_type)
    assert report.accepted == accepted, report.explain()
    if not accepted:
        assert (report.insn, report.message) == (insn, message)
        assert report.explanation and report.hint


def test_report_explains_in_plain_words():
    r = verify(assemble(CASES["null_deref"][1]), "socket_filter")
    text = r.explain()
    assert r.error_class == "null_deref" and "may be NULL" in text and "if r0 == 0" in text
    assert r.to_json()["class"] == "null_deref" and r.to_json()["insn"] == 6
