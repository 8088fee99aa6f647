"""Without CAP_BPF/CAP_SYS_ADMIN (or CAP_NET_ADMIN, CAP_PERFMON for the types that need them),
`pybpf features` and every kernel command say which capability is missing, instead of
answering wrong (was: with every capability dropped, `pybpf features` listed every program
type as supported). Each case runs in a child process that dropped capabilities
(``setpriv --bounding-set``, util-linux), and pybpf's capability table is held against
what the kernel answers in such a child."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pybpf.kernel import caps

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) missing")]

XDP = "r0 = 2\nexit\n"
TRACEPOINT = ".section tp/syscalls/sys_enter_getppid\nr0 = 0\nexit\n"


def _without(drop: str, *argv: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run pybpf (or ``code``) in a child whose bounding set lacks ``drop`` (setpriv's list)."""
    cmd = ["setpriv", f"--bounding-set={drop}", "--inh-caps=-all", "--", sys.executable]
    cmd += ["-c", code] if code is not None else ["-m", "pybpf", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_features_without_capabilities_says_which_are_missing():
    res = _without("-all", "features")
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr == ("pybpf features: error: probing the kernel (pybpf features) needs CAP_BPF "
                          "and CAP_NET_ADMIN and CAP_PERFMON (or CAP_SYS_ADMIN), which this process "
                          "does not have (run it as root, or grant them with setcap/capsh)\n")


def test_the_feature_probes_refuse_to_guess_too():
    res = _without("-all", code="from pybpf.kernel import features\n"
                   "try:\n    features.prog_type_support('xdp')\n"
                   "except Exception as e:\n    print(type(e).__name__, e.missing)\n")
    assert res.stdout.strip() == "MissingCapability ['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_PERFMON']"


@pytest.mark.parametrize("drop, text, argv, missing", [
    ("-bpf,-sys_admin", XDP, ["load", "{f}", "--type", "xdp"], "CAP_BPF (or CAP_SYS_ADMIN)"),
    ("-net_admin,-sys_admin", XDP, ["load", "{f}", "--type", "xdp"],
     "CAP_NET_ADMIN (or CAP_SYS_ADMIN)"),
    ("-perfmon,-sys_admin", TRACEPOINT, ["load", "{f}"], "CAP_PERFMON (or CAP_SYS_ADMIN)"),
    ("-perfmon,-sys_admin", TRACEPOINT, ["probe", "{f}", "--duration", "0"],
     "CAP_PERFMON (or CAP_SYS_ADMIN)"),
    ("-bpf,-sys_admin", XDP, ["map"], "CAP_BPF (or CAP_SYS_ADMIN)"),
])
def test_kernel_commands_name_the_missing_capability(tmp_path, drop, text, argv, missing):
    f = tmp_path / "prog.s"
    f.write_text(text)
    res = _without(drop, *[a.format(f=f) for a in argv])
    assert res.returncode == 1, res.stdout
    assert res.stderr.startswith(f"pybpf {argv[0]}: error: ") and f"needs {missing}, which " \
        "this process does not have" in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_offline_commands_still_work_without_capabilities(tmp_path):
    f = tmp_path / "prog.s"
    f.write_text(XDP)
    for argv in (["verify", str(f), "--type", "xdp"], ["run", str(f)], ["disasm", str(f)]):
        res = _without("-all", *argv)
        assert res.returncode == 0, res.stderr


_LOAD_EACH = """
import errno, json
from pybpf.errors import KernelError
from pybpf import uapi as A
from pybpf.kernel.features import _EXPECTED_ATTACH, _minimal
from pybpf.kernel.prog import LoadOptions, load
out = {}
for t in A.PROG_TYPES:
    if t == "unspec":
        continue
    flags = A.BPF_F_SLEEPABLE if t == "syscall" else 0
    try:
        with load(_minimal(), t, options=LoadOptions(expected_attach_type=_EXPECTED_ATTACH.get(t),
                                                     prog_flags=flags)):
            out[t] = "ok"
    except KernelError as e:
        out[t] = errno.errorcode.get(e.errno, str(e.errno))
print(json.dumps(out))
"""


@pytest.mark.parametrize("drop", ["-net_admin,-sys_admin", "-perfmon,-sys_admin",
                                  "-net_admin,-perfmon,-sys_admin", "-bpf,-sys_admin"])
def test_which_program_types_need_which_capability_is_the_kernels_answer(drop):
    """A program type pybpf says needs a dropped capability is refused with EPERM by the kernel
    in that child; one it says does not, loads there as it loads with every capability."""
    full = json.loads(subprocess.run([sys.executable, "-c", _LOAD_EACH], capture_output=True,
                                     text=True, check=True).stdout)
    res = _without(drop, code=_LOAD_EACH)
    assert res.returncode == 0, res.stderr
    dropped = json.loads(res.stdout)
    held = set(caps.CAPS) - {"CAP_" + c.lstrip("-").upper() for c in drop.split(",")}
    compared = 0
    for t, answer in full.items():
        if answer != "ok":  # refused with every capability: nothing to learn about capabilities
            continue
        compared += 1
        lacking = caps.missing(caps.needed_for_prog_type(t), held)
        if (lacking == [["CAP_BPF", "CAP_SYS_ADMIN"]] and t in caps.UNPRIVILEGED_TYPES
                and caps.unprivileged_bpf_enabled()):
            lacking = []  # kernel.unprivileged_bpf_disabled=0 lets anyone load these
        assert (dropped[t] == "EPERM") == bool(lacking), (t, dropped[t], lacking)
    assert compared >= 15


def test_caps_reads_what_the_kernel_says_this_process_holds(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapEff:\t0000008000000000\n")  # bit 39: CAP_BPF
    assert caps.effective(str(status)) == {"CAP_BPF"}
    assert caps.effective(str(tmp_path / "none")) is None
    assert Path("/proc/self/status").exists() and caps.effective() is not None
