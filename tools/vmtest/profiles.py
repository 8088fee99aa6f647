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
from pybpf.verifier.profile_probes import (
    MAP_PROBES,
    Outcome,
    all_probes,
    build_profile,
    kfunc_probes,
    refusal_probes,
)

from . import cache, vm
from .batch import Batch, ObjectBtf, Result

#: probes need little log (their error is the last lines)
PROBE_LOG = 16 * 1024
BTF_PATH = "/sys/kernel/btf/vmlinux"


def attach_types() -> list[tuple[str, str]]:
    """(program type, expected attach type) of every ELF section pybpf knows that loads with
    an expected attach type but no attach target."""
    from pybpf.elf.sections import SECTION_DEFS

    return sorted({(d.prog_type, d.expected_attach_type) for d in SECTION_DEFS
                   if d.prog_type and d.expected_attach_type and not d.attach_btf})


def add_probes(b: Batch, prof: KernelProfile) -> int:
    """Append every probe and a dump of the kernel's BTF to ``b``; returns the dump's record.
    ``prof`` is the kernel's profile as shipped, whose BTF (`KernelProfile.vmlinux_btf`: the
    copy the last boot took out of the guest) gives the kfuncs to probe, their BTF ids and the
    attach targets of the BTF-attached kinds."""
    from pybpf.errors import BtfError
    from pybpf.verifier.generated.kfunc_flags import KFUNC_FLAGS
    from pybpf.verifier.kernel_profile import using
    from pybpf.verifier.program_btf import attach_target

    btf = prof.vmlinux_btf()
    present = []
    for name in KFUNC_FLAGS:
        try:
            btf.find(name, "func")
        except BtfError:
            continue
        present.append(name)
    targets: dict[tuple[str, str], int] = {}
    for p in [*all_probes(), *kfunc_probes(present), *refusal_probes(attach_types())]:
        if p.map_type is not None:
            b.add_map_probe(p.key, p.map_type, MAP_PROBES[p.map_type])
            continue
        attach_btf_id = 0
        if p.attach_btf is not None:
            if p.attach_btf not in targets:
                with using(prof):
                    try:
                        targets[p.attach_btf] = attach_target(*p.attach_btf)[0]
                    except (BtfError, KeyError):
                        targets[p.attach_btf] = 0
            attach_btf_id = targets[p.attach_btf]
            if not attach_btf_id:
                continue  # the kernel has no such target: the kind is not measured
        obj = p.object_btf()
        b.add_program(p.key, p.program(), p.prog_type, expected_attach_type=p.attach,
                      license=p.license, log_size=PROBE_LOG, prog_flags=p.prog_flags,
                      attach_btf_id=attach_btf_id, btf=lambda n, kind: btf.find(n, kind),
                      object_btf=ObjectBtf(*obj) if obj is not None else None)
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
    from .corpus import judged_profile

    b = Batch()
    btf_rec = add_probes(b, judged_profile(kernel))
    run, results, _outcome = cache.run(kernel, b)
    return profile_from(kernel, run, b, results, btf_rec), run


def write(profile: KernelProfile) -> Path:
    path = PROFILES_DIR / f"{profile.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(profile.to_json(), indent=1, sort_keys=True) + "\n")
    return path
