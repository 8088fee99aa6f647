"""Verifier message formats: each "live" one is provoked on the running kernel and its
log must contain exactly the text the table renders."""
from __future__ import annotations

import pytest

from pybpf.asm import assemble
from pybpf.errors import ProgLoadError
from pybpf.isa import Insn, ProgramSpec
from pybpf.verifier.messages import MESSAGES, OLDER_WORDINGS, classify_log, find, match, render

MAP = ".map m hash key=4 value=8 max_entries=4\n"
LOOKUP = MAP + "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = m ll\ncall bpf_map_lookup_elem\n"

#: key -> (program type, assembly text or instructions, expected arguments)
CASES: dict[str, tuple[str, str | list[Insn], tuple]] = {
    "reg_not_init": ("socket_filter", "r0 = r2\nexit", (2,)),
    "fp_read_only": ("socket_filter", "r10 = 0\nr0 = 0\nexit", ()),
    "reg_invalid": ("socket_filter", [Insn(0xB7, dst=11), Insn(0x95)], (11,)),
    "invalid_mem_access": ("socket_filter", LOOKUP + "r0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit",
                           (0, "map_value_or_null")),
    "stack_bounds": ("socket_filter", "*(u64 *)(r10 - 520) = 0\nr0 = 0\nexit", (" write to", 10, -520, 8)),
    "stack_misaligned": ("socket_filter", "call bpf_get_prandom_u32\nr0 &= 7\nr1 = r10\nr1 += r0\n"
                         "r0 = *(u64 *)(r1 - 16)\nr0 = 0\nexit", ("(0x0; 0x7)", 0, -16, 8)),
    "register_fill_size": ("socket_filter", "*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nr0 = 0\nexit",
                           ()),
    "map_value_access": ("socket_filter", LOOKUP + "if r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 4)\nr0 = 0\nexit",
                         (8, 4, 8)),
    "min_outside": ("socket_filter", LOOKUP + "if r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 4)\nr0 = 0\nexit", (0,)),
    "max_outside": ("socket_filter", LOOKUP + "if r0 == 0 goto +6\nr6 = r0\ncall bpf_get_prandom_u32\n"
                    "r0 &= 15\nr6 += r0\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit", (6,)),
    "min_negative_index": ("socket_filter", LOOKUP + "if r0 == 0 goto +7\nr6 = r0\n"
                           "call bpf_get_prandom_u32\nr0 &= 7\nr0 -= 4\nr6 += r0\n"
                           "r0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit", (6,)),
    "packet_access": ("xdp", "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 4\n"
                      "if r4 > r3 goto +1\nr0 = *(u64 *)(r2 + 0)\nr0 = 2\nexit", (0, 8, 2, 0, 0, 4)),
    "packet_outside": ("xdp", "r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nr0 = 2\nexit", (2,)),
    "ctx_access": ("socket_filter", "r0 = *(u32 *)(r1 + 1000)\nr0 = 0\nexit", (1000, 4)),
    "unbounded_min_math": ("socket_filter", LOOKUP + "if r0 == 0 goto +5\nr6 = r0\n"
                           "call bpf_get_prandom_u32\nr6 += r0\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit",
                           ("map_value",)),
    "ptr_arith_null": ("socket_filter", LOOKUP + "r0 += 1\nr0 = 0\nexit", (0, "map_value_or_null")),
    "ptr_bitwise": ("socket_filter", "r1 &= 1\nr0 = 0\nexit", (1, "&=")),
    "ptr_op": ("socket_filter", "r1 *= 2\nr0 = 0\nexit", (1, "*=")),
    "ptr_ptr": ("socket_filter", "r1 += r10\nr0 = 0\nexit", (1, "+=")),
    "helper_prog_type": ("socket_filter", "call bpf_xdp_adjust_head\nr0 = 0\nexit",
                         ("bpf_xdp_adjust_head", 44)),
    "helper_invalid": ("socket_filter", "call 10000\nr0 = 0\nexit", ("unknown", 10000)),
    "gpl_only": ("kprobe", "r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall bpf_probe_read_kernel\nr0 = 0\nexit",
                 ()),
    "arg_type": ("socket_filter", "r1 = 0\nr2 = r10\nr2 += -8\ncall bpf_map_lookup_elem\nr0 = 0\nexit",
                 (1, "scalar", "map_ptr")),
    "zero_size": ("socket_filter", "r1 = r10\nr1 += -8\nr2 = 0\ncall bpf_get_current_comm\nr0 = 0\nexit",
                  (2, 0, 0)),
    "size_negative": ("socket_filter", "r1 = r10\nr1 += -8\nr2 = -1\ncall bpf_get_current_comm\n"
                      "r0 = 0\nexit", (2,)),
    "size_unbounded": ("kprobe", "call bpf_get_prandom_u32\nr0 &= 0x7fffffff\nr2 = r0\nr1 = r10\n"
                       "r1 += -8\nr3 = 0\ncall bpf_probe_read_kernel\nr0 = 0\nexit", (2,)),
    "map_func": ("kprobe", MAP + "r2 = m ll\nr3 = 0\ncall bpf_get_stackid\nr0 = 0\nexit",
                 (1, "bpf_get_stackid", 27)),
    "tail_call_map": ("socket_filter", MAP + "r2 = m ll\nr3 = 0\ncall bpf_tail_call\nr0 = 0\nexit", ()),
    "unreleased_ref": ("socket_filter", ".map rb ringbuf key=0 value=0 max_entries=4096\nr1 = rb ll\n"
                       "r2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nr0 = 0\nexit", (2, 4)),
    "ref_leak_exit": ("socket_filter", ".map rb ringbuf key=0 value=0 max_entries=4096\nr1 = rb ll\n"
                      "r2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nr0 = 0\nexit",
                      ("BPF_EXIT instruction in main prog",)),
    "retval_range": ("cgroup_skb", "r0 = 5\nexit", ("At program exit", 0, "smin=5 smax=5", 0, 1)),
    "div_by_zero": ("socket_filter", "r0 = 1\nr0 /= 0\nexit", ()),
    "invalid_shift": ("socket_filter", "r0 = 1\nr0 <<= 64\nexit", (64,)),
    "unknown_opcode": ("socket_filter", [Insn(0xB7), Insn(0x8E), Insn(0x95)], (0x8E,)),
    "reserved_neg": ("socket_filter", [Insn(0xB7), Insn(0x87, imm=1), Insn(0x95)], ()),
    "reserved_mov": ("socket_filter", [Insn(0xB7, src=1), Insn(0x95)], ()),
    "reserved_alu": ("socket_filter", [Insn(0xB7), Insn(0x07, src=1, imm=1), Insn(0x95)], ()),
    "reserved_jmp": ("socket_filter", [Insn(0xB7), Insn(0x15, src=1), Insn(0x95)], ()),
    "ld_abs_prog_type": ("kprobe", "r6 = r1\nr0 = *(u8 *)skb[0]\nr0 = 0\nexit", ()),
    "unreachable": ("socket_filter", "r0 = 0\nexit\nr0 = 1\nexit", (2,)),
    "jump_out_of_range": ("socket_filter", [Insn(0x05, off=5), Insn(0xB7), Insn(0x95)], (0, 6)),
    "jump_into_ldimm64": ("socket_filter", [Insn(0x15, dst=1, off=1), Insn(0x18, dst=1, imm=5),
                                            Insn(0xB7), Insn(0x95)], (1,)),
    "last_insn": ("socket_filter", "r0 = 0", ()),
    "infinite_loop": ("socket_filter", "r0 = 0\nl: if r0 == 0 goto l\nexit", (1,)),
    "call_stack_depth": ("socket_filter", "\n".join(
        ["call f0\nr0 = 0\nexit"] + [f"f{i}: call f{i + 1}\nr0 = 0\nexit" for i in range(9)]
        + ["f9: r0 = 0\nexit"]), (9,)),
    "combined_stack": ("socket_filter", "call f\nr0 = 0\nexit\nf: *(u64 *)(r10 - 512) = 0\ncall g\n"
                       "r0 = 0\nexit\ng: *(u64 *)(r10 - 16) = 0\nr0 = 0\nexit", (3, 528)),
    "missing_func_info": ("socket_filter", "r1 = 4\nr2 = cb ll\nr3 = 0\nr4 = 0\ncall bpf_loop\n"
                          "r0 = 0\nexit\ncb: r0 = 0\nexit", ()),
}
#: provoked by a loader with CAP_BPF but without CAP_PERFMON/CAP_SYS_ADMIN
UNPRIV = {
    "stack_read_uninit": ("socket_filter", "r0 = *(u64 *)(r10 - 8)\nexit", (10, -8, 8)),
    "ptr_comparison": ("socket_filter", "r0 = 0\nif r1 > r10 goto +0\nexit", (10,)),
    "leak_ret": ("socket_filter", "r0 = r10\nexit", (0,)),
    "leak_map": ("socket_filter", LOOKUP + "if r0 == 0 goto +1\n*(u64 *)(r0 + 0) = r10\nr0 = 0\nexit", (10,)),
}
SLOW = {"too_large": ("socket_filter", "r1 = 0\nl: r1 += 1\nif r1 < 100000000 goto l\nr0 = 0\nexit",
                      (1000001,))}


def _program(src: str | list[Insn]) -> ProgramSpec:
    return assemble(src) if isinstance(src, str) else ProgramSpec(src)


def _reject_log(prog_type: str, src, license: str = "GPL") -> str:
    from pybpf.kernel.prog import LoadOptions, load

    try:
        with load(_program(src).replace(license=license), prog_type, options=LoadOptions(log_level=1)):
            pass
    except ProgLoadError as e:
        return e.log
    raise AssertionError("the kernel accepted the program")


def _check(key: str, case: tuple) -> None:
    prog_type, src, args = case
    log = _reject_log(prog_type, src, "MIT" if key == "gpl_only" else "GPL")
    expected = render(key, *args)
    lines = [ln.strip() for ln in log.splitlines()]
    # some messages are printed without a newline (tail_call_map): compare by containment
    assert any(ln == expected or ln.startswith(expected) for ln in lines), (
        f"{key}: expected {expected!r} in the log:\n{log}")


def test_every_live_message_has_a_provoking_case():
    live = {k for k, m in MESSAGES.items() if m.how == "live"}
    assert live == set(CASES) | set(SLOW)
    assert {k for k, m in MESSAGES.items() if m.how == "live_unpriv"} == set(UNPRIV)


_UNPRIV_SCRIPT = """
import sys
from pybpf.asm import assemble
from pybpf.errors import ProgLoadError
from pybpf.kernel.prog import LoadOptions, load
try:
    with load(assemble(sys.stdin.read()), sys.argv[1], options=LoadOptions(log_level=1)):
        print("ACCEPTED")
except ProgLoadError as e:
    print(e.log)
"""


@pytest.mark.kernel
@pytest.mark.parametrize("key", sorted(UNPRIV))
def test_unprivileged_message_wording(key):
    """Loaded by a child process whose capability bounding set lacks CAP_PERFMON and
    CAP_SYS_ADMIN (it keeps CAP_BPF), so the verifier applies the unprivileged rules."""
    import shutil
    import subprocess
    import sys

    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop capabilities"
    prog_type, src, args = UNPRIV[key]
    out = subprocess.run([setpriv, "--bounding-set=-perfmon,-sys_admin", sys.executable, "-c",
                          _UNPRIV_SCRIPT, prog_type], input=src, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    expected = render(key, *args)
    assert expected in [ln.strip() for ln in out.splitlines()], out


@pytest.mark.kernel
@pytest.mark.parametrize("key", sorted(CASES))
def test_message_wording_matches_running_kernel(key):
    _check(key, CASES[key])


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(SLOW))
def test_slow_limit_messages(key):
    _check(key, SLOW[key])


@pytest.mark.kernel
def test_classify_log_names_the_reason():
    log = _reject_log("socket_filter", LOOKUP + "r0 = *(u64 *)(r0 + 0)\nr0 = 0\nexit")
    assert classify_log(log).key == "invalid_mem_access"
    log = _reject_log("socket_filter", "r1 *= 2\nr0 = 0\nexit")
    assert classify_log(log).key == "ptr_op"


def test_render_and_match_round_trip():
    samples = {"d": 7, "s": "map_value", "x": 0xE4}
    for key, m in MESSAGES.items():
        convs = [c for c in __import__("re").findall(r"%[-+ #0]*\d*(?:ll|l|z|h)?([dusxXc])", m.fmt)]
        args = [samples["s"] if c == "s" else (samples["x"] if c in "xX" else samples["d"]) for c in convs]
        text = m.render(*args)
        assert match(key, text) is not None, (key, text)
        assert m in find(text), (key, text)


def test_table_shape():
    assert len(MESSAGES) >= 50
    assert len({m.error_class for m in MESSAGES.values()}) >= 25
    assert render("invalid_mem_access", 0, "scalar") == "R0 invalid mem access 'scalar'"
    assert match("map_value_access", "invalid access to map value, value_size=8 off=4 size=8") == (8, 4, 8)
    assert match("unreachable", "jump out of range from insn 0 to 6") is None
    for key in OLDER_WORDINGS:
        assert key in MESSAGES
    with pytest.raises(KeyError):
        render("no_such_message")
