"""deploy/: the DaemonSet, Service and Namespace validate against the Kubernetes schemas
(kubernetes-validate, offline: it bundles them), the ServiceMonitor against the Prometheus
Operator's published CRD schema (vendored in deploy/schemas), the Dockerfile statically
(no container engine here: its COPY sources exist and its wheel glob matches what
``python -m build`` writes), and the DaemonSet's capabilities are enough, and needed, on the
live kernel."""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _docs(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def _by_kind(kind: str) -> dict:
    (doc,) = [d for name in ("daemonset.yaml", "servicemonitor.yaml") for d in _docs(name) if d["kind"] == kind]
    return doc


def _validate_core(doc: dict) -> None:
    kubernetes_validate.validate(doc, kubernetes_validate.utils.latest_version(), strict=True)


def test_core_resources_validate_against_the_kubernetes_schemas():
    kinds = []
    for doc in _docs("daemonset.yaml"):
        _validate_core(doc)
        kinds.append(doc["kind"])
    assert kinds == ["Namespace", "ServiceAccount", "DaemonSet", "Service"]


@pytest.mark.parametrize("breakage,where", [
    (lambda d: d["spec"]["template"]["spec"]["containers"][0].update(privilegd=True), "privilegd"),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(containerPort="x"),
     "containerPort"),
    (lambda d: d["spec"].pop("selector"), "selector"),
])
def test_the_schema_check_catches_a_broken_daemonset(breakage, where):
    doc = copy.deepcopy(_by_kind("DaemonSet"))
    breakage(doc)
    with pytest.raises(jsonschema.ValidationError) as e:
        _validate_core(doc)
    assert where in str(e.value)


def _strict(schema: dict) -> dict:
    """A CRD's structural schema with unknown fields refused (kubectl's default
    --validate=strict refuses them too; the API server would otherwise drop them)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out and \
                not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _servicemonitor_validator() -> jsonschema.Validator:
    crd = json.loads((DEPLOY / "schemas" / "servicemonitor-v1.json").read_text())
    return jsonschema.Draft7Validator(_strict(crd["openAPIV3Schema"]))


def test_servicemonitor_validates_against_the_operators_crd_schema():
    sm = _by_kind("ServiceMonitor")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    _servicemonitor_validator().validate(sm)
    bad = copy.deepcopy(sm)
    bad["spec"]["endpoints"][0]["intervall"] = "15s"
    with pytest.raises(jsonschema.ValidationError, match="intervall"):
        _servicemonitor_validator().validate(bad)
    bad = copy.deepcopy(sm)
    bad["spec"]["endpoints"][0]["interval"] = "15 seconds"
    with pytest.raises(jsonschema.ValidationError, match="does not match"):
        _servicemonitor_validator().validate(bad)


def test_the_pieces_point_at_each_other():
    ds, svc, sm = _by_kind("DaemonSet"), _by_kind("Service"), _by_kind("ServiceMonitor")
    pod = ds["spec"]["template"]
    assert ds["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert svc["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    assert sm["spec"]["namespaceSelector"]["matchNames"] == [svc["metadata"]["namespace"]]
    (c,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert svc["spec"]["ports"][0]["targetPort"] in ports
    assert {e["port"] for e in sm["spec"]["endpoints"]} <= {p["name"] for p in svc["spec"]["ports"]}
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    listen = c["args"][c["args"].index("--listen") + 1]
    assert int(listen.rsplit(":", 1)[1]) == ports[c["livenessProbe"]["httpGet"]["port"]]


def test_the_daemonset_is_not_privileged_and_mounts_what_probes_need():
    pod = _by_kind("DaemonSet")["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert sc["privileged"] is False and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert set(sc["capabilities"]["add"]) <= {"BPF", "PERFMON", "NET_ADMIN", "SYSLOG"}
    assert "SYS_ADMIN" not in sc["capabilities"]["add"]
    hostpaths = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    for path in ("/sys/fs/bpf", "/sys/kernel/tracing", "/sys/kernel/debug"):
        name = next(n for n, p in hostpaths.items() if p == path)
        assert mounts[name] == path
    pin = c["args"][c["args"].index("--pin") + 1]
    assert pin.startswith("/sys/fs/bpf/")


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs: continuation lines joined, comments dropped."""
    lines, cur = [], ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        if not cur and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        cur += raw.rstrip("\\").strip() + " " if raw.endswith("\\") else raw.strip()
        if not raw.endswith("\\"):
            lines.append(cur)
            cur = ""
    assert not cur, "the Dockerfile ends inside a continuation line"
    out = []
    for line in lines:
        instr, _, args = line.partition(" ")
        assert instr.isupper() and instr in {"FROM", "COPY", "RUN", "EXPOSE", "USER", "ENTRYPOINT", "CMD",
                                             "ENV", "LABEL", "WORKDIR", "ARG"}, line
        out.append((instr, args.strip()))
    return out


def test_the_dockerfile_parses_and_every_copy_source_exists():
    instrs = _dockerfile()
    assert instrs[0][0] == "FROM"
    copies = [a.split() for i, a in instrs if i == "COPY"]
    wheel_globs = []
    for parts in copies:
        srcs = [p for p in parts[:-1] if not p.startswith("--")]
        for src in srcs:
            if src.startswith("dist/"):
                wheel_globs.append(src)  # made by python -m build: checked below
            else:
                assert list(ROOT.glob(src)), f"COPY {src}: no such file in the build context"
    assert wheel_globs == ["dist/pybpf-*.whl"]
    entry = json.loads(dict(instrs)["ENTRYPOINT"])
    cmd = json.loads(dict(instrs)["CMD"])
    assert entry == ["pybpf", "export"]
    copied = {Path(p).name for parts in copies for p in parts[:-1] if p.startswith("examples/")}
    assert Path(cmd[0]).name in copied
    # the DaemonSet runs a probe the image has
    c = _by_kind("DaemonSet")["spec"]["template"]["spec"]["containers"][0]
    assert c["args"][0].startswith("/opt/pybpf/probes/") and Path(c["args"][0]).name in copied


@pytest.mark.slow
def test_the_wheel_glob_matches_what_python_m_build_writes(tmp_path):
    src = tmp_path / "src"
    for name in ("pybpf", "src_c"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(src / "dist")], cwd=src, check=True, capture_output=True, timeout=300)
    (wheel,) = [p.relative_to(src).as_posix() for p in (src / "dist").glob("*.whl")]
    assert fnmatch.fnmatch(wheel, "dist/pybpf-*.whl"), wheel
    # the wheel's interpreter tag fits the image's Python
    image = dict(_dockerfile())["FROM"]
    m = re.match(r"python:(\d+)\.(\d+)", image)
    # (a stable-ABI wheel, cpXY-abi3, serves every Python from X.Y on)
    tag = re.search(r"-cp(\d)(\d+)-(abi3|cp\d+)-", wheel)
    assert m and tag, (image, wheel)
    image_py = (int(m.group(1)), int(m.group(2)))
    assert (tag.group(3) == "abi3" and (int(tag.group(1)), int(tag.group(2))) <= image_py) or \
        tag.group(3) == f"cp{m.group(1)}{m.group(2)}", (image, wheel)
    import zipfile

    with zipfile.ZipFile(src / wheel) as z:
        names = z.namelist()
        meta = next(z.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert "pybpf/export/collector.py" in names and any(n.startswith("pybpf/_native") for n in names)
    assert re.search(r"Requires-Dist: prometheus[-_]client.*extra == \"export\"", meta)


def _caps(extra: tuple[str, ...] = (), without: tuple[str, ...] = ()) -> str:
    c = _by_kind("DaemonSet")["spec"]["template"]["spec"]["containers"][0]
    caps = [x for x in c["securityContext"]["capabilities"]["add"] if x not in without] + list(extra)
    return ",".join(["-all", *(f"+{x.lower()}" for x in caps)])


def _export_once(bounding: str) -> subprocess.CompletedProcess:
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to run with the DaemonSet's capabilities"
    c = _by_kind("DaemonSet")["spec"]["template"]["spec"]["containers"][0]
    probe = ROOT / "examples" / Path(c["args"][0]).name
    return subprocess.run([setpriv, f"--bounding-set={bounding}", "--inh-caps=-all", "--",
                           sys.executable, "-m", "pybpf", "export", str(probe), "--once"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.kernel
def test_the_daemonsets_capabilities_are_enough_and_each_is_needed():
    ok = _export_once(_caps())
    assert ok.returncode == 0, ok.stderr
    assert "syscount_counts_total{" in ok.stdout
    # without CAP_SYS_ADMIN the kernel's run-time accounting cannot be turned on by us
    assert "pybpf_bpf_stats_enabled 0.0" in ok.stdout or "pybpf_bpf_stats_enabled 1.0" in ok.stdout
    for cap in ("BPF", "PERFMON"):
        fail = _export_once(_caps(without=(cap,)))
        assert fail.returncode == 1, (cap, fail.stderr)  # said before anything loads:
        assert f"needs CAP_{cap} (or CAP_SYS_ADMIN), which this process does not have" in \
            fail.stderr, (cap, fail.stderr)
        assert "Traceback" not in fail.stderr
