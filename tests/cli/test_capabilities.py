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


# -- every kernel command: the error class and the file it names --------------------------------

_RAISED = """
import sys
from pybpf.cli import build_parser
argv = sys.argv[1:]
args = build_parser(argv[0]).parse_args(argv)
try:
    args.func(args)
except Exception as e:
    print(type(e).__module__, type(e).__name__, ",".join(getattr(e, "missing", [])))
    print(getattr(e, "action", ""))
else:
    print("no error")
"""

DSL_PROBE = ("from pybpf.dsl import ArrayMap, probe, u64\n\nhits = ArrayMap(u64, max_entries=1)\n\n\n"
             "@probe('raw_tracepoint/sys_enter')\ndef count(ctx):\n    hits[0] += 1\n")
NEEDS = {"bpf": ["CAP_BPF"], "xdp": ["CAP_BPF", "CAP_NET_ADMIN"], "tp": ["CAP_BPF", "CAP_PERFMON"],
              "both": ["CAP_BPF", "CAP_NET_ADMIN", "CAP_PERFMON"]}  # sorted


@pytest.fixture
def kernel_inputs(tmp_path, bpf_compile) -> dict[str, str]:
    """One input of each kind a kernel command reads."""
    files = {"tp.s": TRACEPOINT, "xdp.s": XDP, "probe.py": DSL_PROBE,
             "count.bt": "tracepoint:syscalls:sys_enter_getppid { @n = count(); }\n",
             "vectors/one.data": "-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n"}
    (tmp_path / "vectors").mkdir()
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    obj = tmp_path / "inputs.bpf.o"
    obj.write_bytes(bpf_compile("cli_inputs").read_bytes())
    (tmp_path / "desc.py").write_text("OBJECT = 'inputs.bpf.o'\nMETRICS = {}\n")
    return {k: str(tmp_path / k) for k in [*files, "inputs.bpf.o", "desc.py", "vectors"]}


@pytest.mark.clang
@pytest.mark.parametrize("argv, action, needs", [
    (["load", "{tp.s}"], "pybpf load {tp.s}", "tp"),
    (["load", "{inputs.bpf.o}"], "pybpf load {inputs.bpf.o}", "both"),
    (["probe", "{probe.py}", "--duration", "0"], "pybpf probe {probe.py}", "tp"),
    (["probe", "{tp.s}", "--duration", "0"], "pybpf probe {tp.s}", "tp"),
    (["trace", "-e", "tracepoint:syscalls:sys_enter_getppid { @n = count(); }", "--duration", "0"],
     "pybpf trace -e", "tp"),
    (["trace", "{count.bt}", "--duration", "0"], "pybpf trace {count.bt}", "tp"),
    (["trace", "{inputs.bpf.o}", "--duration", "0"], "pybpf trace {inputs.bpf.o}", "both"),
    (["trace", "{inputs.bpf.o}", "--program", "pass_all", "--duration", "0"],
     "pybpf trace {inputs.bpf.o}", "xdp"),
    (["export", "{probe.py}", "--once"], "pybpf export {probe.py}", "tp"),
    (["export", "{desc.py}", "--once"], "pybpf export {desc.py}", "both"),
    (["conformance", "{vectors}", "--runtime", "kernel"],
     "running the vectors of {vectors} on the kernel", "xdp"),
    (["features"], "probing the kernel (pybpf features)", "both"),
    (["map"], "reading the kernel's maps (pybpf map)", "bpf"),
])
def test_every_kernel_command_raises_missing_capability_naming_its_input(kernel_inputs, argv,
                                                                         action, needs):
    """With every capability dropped, each command that asks the kernel raises
    `pybpf.errors.MissingCapability` before anything is loaded (was, for ``trace`` and
    ``export``: "Attaching 1 probe..." and then a bare EPERM from BPF_MAP_CREATE), naming
    the command and its input, and the command line prints that one line."""
    def fill(text: str) -> str:
        for name, path in kernel_inputs.items():
            text = text.replace("{" + name + "}", path)
        return text

    argv = [fill(a) for a in argv]
    res = subprocess.run(["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--",
                          sys.executable, "-c", _RAISED, *argv],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    head, named = res.stdout.splitlines()
    module, cls, missing = head.split()
    assert (module, cls, sorted(missing.split(","))) == ("pybpf.errors", "MissingCapability",
                                                         NEEDS[needs]), res.stdout
    assert named == fill(action)
    cli = _without("-all", *argv)
    assert cli.returncode == 1 and "Attaching" not in cli.stdout, cli.stdout
    assert cli.stderr.startswith(f"pybpf {argv[0]}: error: {named} needs CAP_BPF"), cli.stderr
    assert len(cli.stderr.strip().splitlines()) == 1, cli.stderr
