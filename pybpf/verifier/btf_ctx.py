"""The context of BTF-typed tracing programs: the arguments of the function attached to.

A tp_btf, fentry/fexit or iterator program's context is an array of 8-byte arguments typed
by the prototype of what it attaches to, read from the running kernel's BTF (the kernel's
``btf_ctx_access``): an integer argument loads a scalar; a pointer to a struct loads a
BTF-typed kernel pointer (trusted for tp_btf and iterators, where the kernel vouches for it;
possibly NULL for the tracepoints the kernel lists, and for the objects an iterator may run
out of); ``void *`` and integer pointers load scalars. Only reads, at multiples of the size.

>>> sorted(RAW_TP_NULL_ARGS["kfree_skb"][0])
[3]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..btf.format import Kind
from . import btf_types
from .report import Reject
from .state import MAYBE_NULL, PERCPU, RDONLY, RT, TRUSTED, USER, Reg, State

if TYPE_CHECKING:
    from .session import Session

MAX_FUNC_ARGS = 12
_MODIFIERS = (Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG)

#: tracepoint -> (arguments that may be NULL, arguments that may hold an error value), the
#: kernel's raw_tp_null_args table as data (argument numbers count after ``void *__data``)
RAW_TP_NULL_ARGS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "sched_pi_setprio": ((1,), ()), "sched_stick_numa": ((2,), ()),
    "sched_swap_numa": ((2,), ()), "afs_make_fs_call": ((1,), ()),
    "afs_make_fs_calli": ((1,), ()), "afs_make_fs_call1": ((1,), ()),
    "afs_make_fs_call2": ((1,), ()), "afs_protocol_error": ((0,), ()),
    "afs_flock_ev": ((1,), ()), "cachefiles_lookup": ((0,), (2,)),
    "cachefiles_unlink": ((0,), ()), "cachefiles_rename": ((0,), ()),
    "cachefiles_prep_read": ((0,), ()), "cachefiles_mark_active": ((0,), ()),
    "cachefiles_mark_failed": ((0,), ()), "cachefiles_mark_inactive": ((0,), ()),
    "cachefiles_vfs_error": ((0,), ()), "cachefiles_io_error": ((0,), ()),
    "cachefiles_ondemand_open": ((0,), ()), "cachefiles_ondemand_copen": ((0,), ()),
    "cachefiles_ondemand_close": ((0,), ()), "cachefiles_ondemand_read": ((0,), ()),
    "cachefiles_ondemand_cread": ((0,), ()), "cachefiles_ondemand_fd_write": ((0,), ()),
    "cachefiles_ondemand_fd_release": ((0,), ()), "ext4_mballoc_discard": ((1,), ()),
    "ext4_mballoc_free": ((1,), ()), "fib_table_lookup": ((2,), ()),
    "posix_lock_inode": ((1,), ()), "fcntl_setlk": ((1,), ()),
    "locks_remove_posix": ((1,), ()), "flock_lock_inode": ((1,), ()),
    "break_lease_noblock": ((1,), ()), "break_lease_block": ((1,), ()),
    "break_lease_unblock": ((1,), ()), "generic_delete_lease": ((1,), ()),
    "time_out_leases": ((1,), ()), "host1x_cdma_push_gather": ((4,), ()),
    "mm_khugepaged_scan_pmd": ((1,), ()), "mm_collapse_huge_page_isolate": ((0,), ()),
    "mm_khugepaged_scan_file": ((1,), ()), "mm_khugepaged_collapse_file": ((1,), ()),
    "mm_page_alloc": ((0,), ()), "mm_page_pcpu_drain": ((0,), ()),
    "mm_page_alloc_zone_locked": ((0,), ()), "netfs_failure": ((1,), ()),
    "device_pm_callback_start": ((1,), ()), "qdisc_dequeue": ((3,), ()),
    "rxrpc_recvdata": ((0,), ()), "rxrpc_resend": ((1,), ()), "rxrpc_tq": ((1,), ()),
    "rxrpc_client": ((0,), ()), "kfree_skb": ((3,), ()), "xs_stream_read_data": ((0,), ()),
    "xprt_reserve_cong": ((1,), ()), "xprt_release_cong": ((1,), ()),
    "xprt_get_cong": ((1,), ()), "xprt_put_cong": ((1,), ()),
    "tcp_send_reset": ((0, 1), ()), "tcp_sendmsg_locked": ((2,), ()),
    "tegra_dma_tx_status": ((2,), ()), "tmigr_update_events": ((0,), ()),
    "writeback_dirty_folio": ((1,), ()), "folio_wait_writeback": ((1,), ()),
    "mr_integ_alloc": ((3,), ()), "amdgpu_vm_bo_map": ((0,), ()),
    "amdgpu_vm_bo_unmap": ((0,), ()), "netfs_folioq": ((0,), ()),
    "xfs_ioc_free_eofblocks": ((1,), ()), "xfs_blockgc_free_space": ((1,), ()),
    "xfs_btree_updkeys": ((2,), ()), "xfs_btree_overlapped_query_range": ((2,), ()),
    "xfs_map_blocks_found": ((4,), ()), "xfs_map_blocks_alloc": ((4,), ()),
    "xfs_iomap_alloc": ((3,), ()), "neigh_update": ((1,), ()), "amdtp_packet": ((2,), ()),
    **{f"xfs_defer_{n}": ((0,), ()) for n in (
        "create_intent", "cancel_list", "pending_finish", "pending_abort", "relog_intent",
        "isolate_paused", "item_pause", "item_unpause", "add_item", "cancel_item",
        "finish_item")},
}

#: iterator -> (member of ``struct bpf_iter__<name>``, flags of what it loads) beyond ``meta``:
#: the kernel's ctx_arg_info registrations, as data
ITER_CTX_ARGS: dict[str, dict[str, tuple[str, int]]] = {
    "cgroup": {"cgroup": ("btf", MAYBE_NULL | TRUSTED)},
    "dmabuf": {"dmabuf": ("btf", MAYBE_NULL)},
    "kmem_cache": {"s": ("btf", MAYBE_NULL | TRUSTED)},
    "bpf_link": {"link": ("btf", MAYBE_NULL)},
    "bpf_map": {"map": ("btf", MAYBE_NULL | TRUSTED)},
    "bpf_map_elem": {"key": ("buf", MAYBE_NULL | RDONLY), "value": ("buf", MAYBE_NULL)},
    "bpf_prog": {"prog": ("btf", MAYBE_NULL)},
    "task": {"task": ("btf", MAYBE_NULL | TRUSTED)},
    "task_file": {"task": ("btf", MAYBE_NULL), "file": ("btf", MAYBE_NULL)},
    "task_vma": {"task": ("btf", MAYBE_NULL), "vma": ("btf", MAYBE_NULL)},
    "ksym": {"ksym": ("btf", MAYBE_NULL)},
    "bpf_sk_storage_map": {"sk": ("btf", MAYBE_NULL), "value": ("buf", MAYBE_NULL)},
    "sockmap": {"key": ("buf", MAYBE_NULL | RDONLY), "sk": ("btf", MAYBE_NULL)},
    "tcp": {"sk_common": ("btf", MAYBE_NULL | TRUSTED)},
    "udp": {"udp_sk": ("btf", MAYBE_NULL | TRUSTED)},
    "ipv6_route": {"rt": ("btf", MAYBE_NULL)},
    "netlink": {"sk": ("btf", MAYBE_NULL)},
    "unix": {"unix_sk": ("btf", MAYBE_NULL)},
}


def _skip(b: Any, tid: int) -> tuple[int, Any]:
    rec = b[tid]
    while rec.kind in _MODIFIERS:
        tid = rec.type
        rec = b[tid]
    return tid, rec


def _scalar_pointer(v: Session, b: Any, t: Any) -> bool:
    """A pointer argument read as a scalar: to ``void`` or an integer, through any modifiers
    (is_void_or_int_ptr); a kernel without ``btf_ctx_modified_void_ptr`` (before 6.13) knows
    only a bare ``void *`` and an integer behind at most one ``const`` (``const void *`` is
    a pointer to a type it cannot walk)."""
    if t.type == 0:
        return True
    if v.kernel.has_feature("btf_ctx_modified_void_ptr"):
        return _skip(b, t.type)[1].kind in (Kind.INT, Kind.UNKN)
    target = b[t.type]
    if target.kind == Kind.CONST:
        target = b[target.type]
    return target.kind == Kind.INT


@dataclass
class BtfContext:
    """The typed context of one tracing program."""

    kind: str  # "raw_tp" (tp_btf), "fentry", "fexit", "fmod_ret", "iter", "lsm", "raw"
    name: str  # the function or tracepoint
    params: tuple[int, ...]  # parameter type ids (vmlinux), after tp_btf's __data
    ret: int  # return type id
    iter_args: dict[int, tuple[str, int, int]]  # ctx offset -> (kind, flags, btf id)

    @classmethod
    def for_program(cls, v: Session) -> BtfContext | None:
        pb = v.btf
        if pb is None or not pb.attach_btf_id:
            return None
        b = btf_types.kernel()
        attach = v.attach or ""
        tid = pb.attach_btf_id
        rec = b[tid]
        if attach == "trace_raw_tp" or rec.kind == Kind.TYPEDEF:
            _, ptr = _skip(b, tid)
            _, proto = _skip(b, ptr.type)
            params = tuple(p.type for p in proto.params)[1:]
            name = pb.attach_name.removeprefix("btf_trace_")
            return cls("raw_tp", name, params, proto.type, {})
        proto = b[rec.type]
        params = tuple(p.type for p in proto.params)
        if attach == "trace_iter":
            name = pb.attach_name.removeprefix("bpf_iter_")
            return cls("iter", name, params, proto.type, _iter_args(b, name))
        kind = {"trace_fentry": "fentry", "trace_fexit": "fexit", "modify_return": "fmod_ret",
                "lsm_mac": "lsm", "lsm_cgroup": "lsm"}.get(attach, "fentry")
        return cls(kind, pb.attach_name, params, proto.type, {})

    def _arg_index(self, b: Any, off: int) -> int:
        offset = 0
        for n, p in enumerate(self.params):
            _, t = _skip(b, p)
            offset += 8 if t.kind == Kind.PTR else (getattr(t, "size", 8) + 7) // 8 * 8
            if off < offset:
                return n
        if self.ret:
            _, t = _skip(b, self.ret)
            offset += 8 if t.kind == Kind.PTR else (getattr(t, "size", 8) + 7) // 8 * 8
        else:
            offset += 8
        if off < offset:
            return len(self.params)
        return len(self.params) + 1

    def access(self, v: Session, st: State, off: int, size: int, write: bool, insn: int,
               want: bool) -> Reg | None:
        """btf_ctx_access (behind tracing_prog_is_valid_access)."""
        bad = Reject(insn, f"invalid bpf_context access off={off} size={size}", "ctx_access",
                     reg=None)
        if off < 0 or off >= 8 * MAX_FUNC_ARGS or write or off % size:
            raise bad
        b = btf_types.kernel()
        name = self.name
        if off % 8:
            raise Reject(insn, [f"func '{name}' offset {off} is not multiple of 8", *bad.lines],
                         "ctx_access")
        arg = self._arg_index(b, off)
        nr = len(self.params)
        if arg > nr:
            raise Reject(insn, [f"func '{name}' doesn't have {arg + 1}-th argument", *bad.lines],
                         "ctx_access")
        if arg == nr:
            if self.kind in ("fexit", "lsm"):
                tid = self.ret
            elif self.kind == "fmod_ret":
                tid = self.ret
            else:
                raise Reject(insn, [f"func '{name}' doesn't have {arg + 1}-th argument",
                                    *bad.lines], "ctx_access")
        else:
            tid = self.params[arg]
        tid, t = _skip(b, tid) if tid else (0, b[0])
        if (t.kind == Kind.INT and t.size <= 8) or \
                t.kind in (Kind.ENUM, Kind.ENUM64, Kind.STRUCT, Kind.UNION):
            return Reg.scalar() if want else None
        if t.kind != Kind.PTR:
            raise Reject(insn, [f"func '{name}' arg{arg} '{t.name}' has type "
                                f"{t.kind.name} . Only pointer access is allowed", *bad.lines],
                         "ctx_access")
        if size != 8:
            raise Reject(insn, [f"func '{name}' size {size} must be 8", *bad.lines], "ctx_access")
        extra = self.iter_args.get(off)
        if extra is not None and extra[0] == "buf":
            return Reg.ptr(RT.PTR_TO_BUF, flags=extra[1], id=v.new_id()) if want else None
        if _scalar_pointer(v, b, t):
            return Reg.scalar() if want else None
        if extra is not None:
            flags = extra[1]
            out = Reg.ptr(RT.PTR_TO_BTF_ID, flags=flags, btf_id=extra[2])
            if flags & MAYBE_NULL:
                out = out.with_(id=v.new_id())
            return out if want else None
        flags = TRUSTED if self.kind in ("raw_tp", "iter") else 0
        if self.kind == "raw_tp":
            nulls, errs = RAW_TP_NULL_ARGS.get(name, ((), ()))
            if arg in nulls:
                flags |= MAYBE_NULL
            if arg in errs:
                return Reg.scalar() if want else None
        btf_id = t.type
        tag = b[t.type]
        if tag.kind == Kind.TYPE_TAG and not getattr(tag, "attribute", False):
            if tag.name == "user":
                flags |= USER
            elif tag.name == "percpu":
                flags |= PERCPU
        rec = b[btf_id]
        while rec.kind in _MODIFIERS:
            btf_id = rec.type
            rec = b[btf_id]
        if rec.kind not in (Kind.STRUCT, Kind.UNION):
            kind = "UNKNOWN" if rec.kind == Kind.UNKN else rec.kind.name  # btf_type_str(void)
            raise Reject(insn, [f"func '{name}' arg{arg} type {kind} is not a struct",
                                *bad.lines], "ctx_access")
        if not want:
            return None
        out = Reg.ptr(RT.PTR_TO_BTF_ID, flags=flags, btf_id=btf_id)
        if flags & MAYBE_NULL:
            out = out.with_(id=v.new_id())
        return out


def _iter_args(b: Any, name: str) -> dict[int, tuple[str, int, int]]:
    out: dict[int, tuple[str, int, int]] = {}
    members = ITER_CTX_ARGS.get(name, {})
    try:
        rec = b[btf_types.find(b, f"bpf_iter__{name}", "struct")]
    except Exception:  # noqa: BLE001 - an iterator this kernel lacks
        return out
    for m in rec.members:
        mname, mtype = m.name, m.type
        if not mname:  # __bpf_md_ptr: an anonymous union around the pointer
            _, u = _skip(b, m.type)
            if u.kind == Kind.UNION and u.members:
                mname, mtype = u.members[0].name, u.members[0].type
        spec = members.get(mname)
        if spec is None:
            continue
        mt = b[mtype]
        target = 0
        if mt.kind == Kind.PTR:
            target, _ = _skip(b, mt.type)
        out[m.bit_offset // 8] = (spec[0], spec[1], target)
    return out


__all__ = ["ITER_CTX_ARGS", "RAW_TP_NULL_ARGS", "BtfContext"]
