"""Measure kernel profiles: run the probes of `pybpf.verifier.profile_probes` in each kernel.

``python -m tools.vmtest profiles [6.1 6.12 native]`` boots each kernel once with every probe
(and a copy of its BTF), builds its `KernelProfile` and writes
``pybpf/verifier/profiles/NAME.json``; the running kernel's is written as ``6.18`` (its
``major.minor``). The BTF goes to the cache (``~/.cache/pybpf/kernels/btf/SHA256.btf``), its
hash and size into the profile (`pybpf.verifier.kernel_profile.store_btf`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pybpf.verifier.kernel_profile import PROFILES_DIR, KernelProfile, store_btf
from pybpf.verifier.profile_probes import MAP_PROBES, Outcome, all_probes, build_profile

from . import vm
from .batch import Batch, Result, decode_results

#: probes need little log (their error is the last lines)
PROBE_LOG = 16 * 1024
BTF_PATH = "/sys/kernel/btf/vmlinux"


def add_probes(b: Batch) -> int:
    """Append every probe and a dump of the kernel's BTF to ``b``; returns the dump's record."""
    for p in all_probes():
        if p.map_type is not None:
            b.add_map_probe(p.key, p.map_type, MAP_PROBES[p.map_type])
        else:
            b.add_program(p.key, p.program(), p.prog_type, expected_attach_type=p.attach,
                          license=p.license, log_size=PROBE_LOG)
    return b.dump_file(BTF_PATH)


def profile_from(kernel: str, run: vm.Run, b: Batch, results: dict[int, Result], btf_rec: int | None
                 ) -> KernelProfile:
    """The profile the probe results of a boot measure (the BTF kept in the cache)."""
    outcomes = {key: Outcome(results[i].ret >= 0, results[i].errno, results[i].log)
                for key, i in b.programs.items() if i in results}
    name = kernel if kernel != vm.NATIVE else ".".join(run.release.split(".")[:2])
    btf = results.get(btf_rec) if btf_rec is not None else None
    facts = {}
    if btf is not None and btf.ret == 0 and btf.data:
        store_btf(btf.data)
        facts = {"sha256": hashlib.sha256(btf.data).hexdigest(), "size": len(btf.data)}
    release = run.release
    if kernel != vm.NATIVE:
        release += f" ({vm.kernel_package(vm.KERNELS[kernel])})"
    return build_profile(name, release, outcomes, btf=facts)


def measure(kernel: str) -> tuple[KernelProfile, vm.Run]:
    """Boot ``kernel`` (a name of `vm.KERNELS`, or ``native``) with the probes; returns its profile."""
    b = Batch()
    btf_rec = add_probes(b)
    run = vm.run_native(b.encode()) if kernel == vm.NATIVE else vm.run_qemu(vm.KERNELS[kernel], b.encode())
    return profile_from(kernel, run, b, decode_results(run.results), btf_rec), run


def write(profile: KernelProfile) -> Path:
    path = PROFILES_DIR / f"{profile.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(profile.to_json(), indent=1, sort_keys=True) + "\n")
    return path
