"""Loading programs into the kernel (``BPF_PROG_LOAD``) and running them (``BPF_PROG_TEST_RUN``).

`load` turns a `ProgramSpec` into a `Program`: map references (``r1 = counts ll``)
are bound to map fds, from ``maps=`` by name or created from the program's own
`MapSpec` descriptions (those maps then belong to the `Program`); the verifier
log is captured (the buffer grows on ENOSPC) and a rejection raises
`ProgLoadError` carrying the whole log.

>>> from pybpf.isa import Insn, ProgramSpec
>>> prog = ProgramSpec([Insn(0xb7, dst=0, imm=2), Insn(0x95)])          # r0 = 2; exit
>>> with load(prog, "socket_filter") as p:                          # doctest: +SKIP
...     p.test_run(b"\\0" * 64).retval
2
"""
from __future__ import annotations

import errno
import os

from .. import uapi as A
from .._record import record
from .. import errors  # errors.ProgLoadError: defined at its first use (pybpf._errors_more)
from ..errors import BtfError, KernelError, PybpfError
from ..isa.opcodes import LDDW, CallSrc, PseudoSrc
from ..isa.program import RefKind
from ..uapi import GET_ID, INFO, PROG_INFO, PROG_LOAD, PROG_TYPES, TEST
from ..uapi.names import object_name
from .fd import FD
from .maps.base import Map
from .syscall import Cmd, address, bpf, hint_for

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from ..isa.program import ProgramSpec
    from .info import ProgInfo, ProgStats, TestRun


def __getattr__(name: str) -> object:
    if name == "ProgLoadError":  # (pybpf.kernel names it from here, as before)
        return errors.ProgLoadError
    if name in ("ProgInfo", "ProgStats", "TestRun"):  # (pybpf.kernel.info: no load builds one)
        from . import info

        return getattr(info, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["load", "LoadOptions", "Program", "ProgInfo", "TestRun", "ProgStats", "LOG_START", "LOG_MAX"]

#: first verifier log buffer size, and the cap it may grow to on ENOSPC
LOG_START = 64 * 1024
LOG_MAX = 16 * 1024 * 1024

_ENOTSUPP = 524
_VERIFICATION_TIME = r"verification time (\d+) usec"
_PROCESSED = r"processed (\d+) insns"


class Program(FD):
    """A loaded program: ``fd``, ``id``, ``tag`` (hex), ``name``, ``type``, the verifier
    ``log`` and ``stats``; `test_run`, `info`, `pin`; maps it created are closed with it."""

    _kind = "program"

    def __init__(self, fd: int, *, type: str | int, name: str = "", log: str = "",
                 owned_maps: Mapping[str, Map] | None = None, maps: Mapping[str, Map] | None = None) -> None:
        if not isinstance(fd, int):
            raise PybpfError("pybpf.Program is a program loaded in the kernel (it owns an fd); "
                             "instructions are a pybpf.ProgramSpec (renamed in 0.2): "
                             "ProgramSpec(insns), then pybpf.load(spec)")
        super().__init__(fd, kind=f"program {name or '?'}")
        self.type_id = A.prog_type(type)
        self.type = A.type_name(PROG_TYPES, self.type_id)
        self.name = name
        self.log = log
        self._owned_maps: dict[str, Map] = dict(owned_maps or {})
        #: every map bound into the program, by name (given or created)
        self.maps: dict[str, Map] = dict(maps or {})
        self._info: ProgInfo | None = None

    def _release(self) -> None:
        for m in self._owned_maps.values():
            m.close()
        self._owned_maps.clear()

    def _repr_extra(self) -> str:
        return f" {self.type} name={self.name!r}"

    def _repr_html_(self) -> str | None:
        """The loaded program in a notebook (the kernel's id, tag, counts and its maps), drawn
        by `pybpf.viewer` (see `pybpf.isa.display`)."""
        from ..isa.display import html_of

        return html_of(self)

    # -- identity -------------------------------------------------------------------------------
    def info(self) -> ProgInfo:
        """The kernel's view of this program (refreshed on each call)."""
        from .info import prog_info  # (lazy: loading and attaching read no info)

        self._info = prog_info(self.fd)
        return self._info

    def _cached(self) -> ProgInfo:
        return self._info or self.info()

    @property
    def id(self) -> int:
        return self._cached().id

    @property
    def tag(self) -> str:
        """The kernel's tag of the program (sha1 prefix of its instructions), hex."""
        return self._cached().tag

    @property
    def stats(self) -> ProgStats:
        """Verified instruction count (from prog info) and, when the log has them, the
        verification time (log_level with BPF_LOG_STATS) and processed count."""
        import re  # lazy: loading a program reads no log figures (start-up is every probe's cost)

        from .info import ProgStats

        t = re.search(_VERIFICATION_TIME, self.log)
        p = re.search(_PROCESSED, self.log)
        return ProgStats(self._cached().verified_insns, int(t.group(1)) if t else None,
                         int(p.group(1)) if p else None)

    def xlated(self) -> bytes:
        """The instructions as the kernel holds them after verification and rewriting
        (``xlated_prog_insns``): map fds become map addresses, helper calls are resolved.

        >>> ProgramSpec.from_bytes(p.xlated())           # doctest: +SKIP
        """
        n = self.info().xlated_prog_len
        if not n:
            return b""
        out = bytearray(n)
        oa, keep = address(out)
        buf = PROG_INFO.new(xlated_prog_len=n, xlated_prog_insns=oa)
        ba, kb = address(buf)
        bpf(Cmd.OBJ_GET_INFO_BY_FD, INFO.new(bpf_fd=self.fd, info_len=len(buf), info=ba),
            detail=f"program {self.name!r}")
        del keep, kb
        return bytes(out[:min(n, int(PROG_INFO.get(buf, "xlated_prog_len")))])

    @classmethod
    def from_fd(cls, fd: int) -> Program:
        """Wrap (and take ownership of) an existing program fd."""
        from .info import prog_info  # (lazy, as in info)

        try:
            info = prog_info(fd)
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, type=info.type_id, name=info.name)

    @classmethod
    def from_id(cls, prog_id: int) -> Program:
        """Open the program with kernel id ``prog_id`` (``BPF_PROG_GET_FD_BY_ID``)."""
        fd = bpf(Cmd.PROG_GET_FD_BY_ID, GET_ID.new(prog_id=prog_id), detail=f"program id {prog_id}")
        return cls.from_fd(fd)

    @classmethod
    def from_pinned(cls, path: str) -> Program:
        """Open the program pinned at ``path`` on bpffs."""
        from . import pin as bpffs  # (lazy: pinning is no part of a load's start-up)

        return cls.from_fd(bpffs.get_pinned(path))

    def pin(self, path: str) -> str:
        """Pin the program on bpffs; returns the absolute path."""
        from . import pin as bpffs  # (lazy, as in from_pinned)

        return bpffs.pin(self.fd, path)

    def unpin(self, path: str) -> None:
        from . import pin as bpffs  # (lazy, as in from_pinned)

        bpffs.unpin(path)

    # -- running --------------------------------------------------------------------------------
    def test_run(self, data: bytes | bytearray | memoryview = b"", *, ctx: bytes | None = None,
                 repeat: int = 1, data_size_out: int | None = None, ctx_size_out: int | None = None,
                 flags: int = 0, cpu: int = 0) -> TestRun:
        """Run the program once or ``repeat`` times on ``data`` (and ``ctx``) in the kernel
        (``BPF_PROG_TEST_RUN``) and return retval, mean duration and the output.

        ``data_size_out`` defaults to room for the input plus 4 KiB of growth; when the
        output does not fit, the call is retried once with the size the kernel reports.
        """
        if repeat < 0 or cpu < 0:
            raise PybpfError(f"test_run: repeat and cpu must be >= 0 (got {repeat}, {cpu})")
        data = bytes(data)
        out_size = data_size_out if data_size_out is not None else (len(data) + 4096 if data else 0)
        cout_size = ctx_size_out if ctx_size_out is not None else (len(ctx) if ctx else 0)
        for _attempt in range(2):
            dout = bytearray(out_size)
            cout = bytearray(cout_size)
            di, k1 = address(data)
            do, k2 = address(dout)
            ci, k3 = address(ctx)
            co, k4 = address(cout)
            attr = TEST.new(prog_fd=self.fd, data_in=di, data_size_in=len(data), data_out=do,
                            data_size_out=len(dout), ctx_in=ci, ctx_size_in=len(ctx or b""),
                            ctx_out=co, ctx_size_out=len(cout), repeat=repeat, flags=flags, cpu=cpu)
            try:
                bpf(Cmd.PROG_TEST_RUN, attr, detail=f"{self.type} program {self.name!r}")
            except KernelError as e:
                if e.errno == errno.ENOSPC and _attempt == 0 and data_size_out is None:
                    out_size = max(out_size * 2, int(TEST.get(attr, "data_size_out")))
                    cout_size = max(cout_size, int(TEST.get(attr, "ctx_size_out")))
                    continue
                raise
            finally:
                del k1, k2, k3, k4
            dlen = min(int(TEST.get(attr, "data_size_out")), len(dout))
            clen = min(int(TEST.get(attr, "ctx_size_out")), len(cout))
            from .info import TestRun  # (lazy: a load runs nothing)

            return TestRun(int(TEST.get(attr, "retval")), int(TEST.get(attr, "duration")),
                           bytes(dout[:dlen]), bytes(cout[:clen]))
        raise AssertionError("unreachable")


# -- loading ---------------------------------------------------------------------------------------
def _bind_maps(program: ProgramSpec, maps: Mapping[str, Map] | None) -> tuple[list, dict[str, Map], dict[str, Map]]:
    """Resolve labels and bind map references; returns (insns, all maps, maps created here)."""
    insns = program.resolve()
    given = dict(maps or {})
    created: dict[str, Map] = {}
    bound: dict[str, Map] = {}

    def get(name: str, index: int) -> Map:
        if name in bound:
            return bound[name]
        if name in given:
            m = given[name]
        else:
            decl = program.maps.get(name)
            if decl is None:
                raise PybpfError(f"insn {index}: map {name!r} is neither passed in maps= nor declared "
                                 f"by the program (declared: {', '.join(program.maps) or 'none'})")
            inner = get(decl.inner, index) if isinstance(decl.inner, str) else None
            m = Map.create(decl, inner_map=inner)
            created[name] = m
        if not isinstance(m, Map):
            raise PybpfError(f"maps[{name!r}] must be a pybpf Map, got {type(m).__name__}")
        bound[name] = m
        return m

    try:
        for idx, ref in program.refs.items():
            if ref.kind is RefKind.LABEL:
                continue
            if ref.kind in (RefKind.KFUNC, RefKind.KSYM):
                insns[idx] = _bind_btf(insns[idx], ref.kind, ref.name, idx)
                continue
            if ref.kind not in (RefKind.MAP, RefKind.GLOBAL):
                raise PybpfError(f"insn {idx}: cannot bind a {ref.kind.value} reference ({ref.name!r})")
            insn = insns[idx]
            if insn.opcode != LDDW:
                raise PybpfError(f"insn {idx}: map reference {ref.name!r} on a non-lddw instruction")
            m = get(ref.name, idx)
            value_ref = ref.offset != 0 or ref.kind is RefKind.GLOBAL or insn.src == PseudoSrc.MAP_VALUE
            if value_ref:
                if m.max_entries != 1 or m.type != "array":
                    raise PybpfError(f"insn {idx}: a direct value reference ({ref.name!r} + {ref.offset}) "
                                     f"needs an array map with max_entries=1, not a {m.type} map with "
                                     f"{m.max_entries} entries")
                if not 0 <= ref.offset < max(m.value_size, 1):
                    raise PybpfError(f"insn {idx}: offset {ref.offset} is outside the {m.value_size}-byte "
                                     f"value of map {ref.name!r}")
                insns[idx] = insn.replace(src=PseudoSrc.MAP_VALUE, imm=m.fd | (ref.offset << 32))
            else:
                insns[idx] = insn.replace(src=PseudoSrc.MAP_FD, imm=m.fd)
        for name in given:
            bound.setdefault(name, given[name])
    except BaseException:
        for m in created.values():
            m.close()
        raise
    return insns, bound, created


def _bind_btf(insn: Any, kind: RefKind, name: str, idx: int) -> Any:
    """Bind a kfunc call (``call NAME``, src=2) or a ksym load (``r1 = btf_id(NAME) ll``,
    src=3) to the BTF id of ``NAME`` in vmlinux BTF."""
    from ..btf import vmlinux  # lazy: vmlinux BTF loads only for kfunc/ksym references

    want = "func" if kind is RefKind.KFUNC else "var"
    try:
        btf_id = vmlinux().find(name, want)
    except BtfError:
        raise PybpfError(f"insn {idx}: no kernel {'function' if want == 'func' else 'variable'} "
                         f"{name!r} in vmlinux BTF") from None
    if kind is RefKind.KFUNC:
        return insn.replace(src=CallSrc.KFUNC, imm=btf_id, off=0)
    if insn.opcode != LDDW:
        raise PybpfError(f"insn {idx}: kernel variable {name!r} referenced by a non-lddw instruction")
    return insn.replace(src=PseudoSrc.BTF_ID, imm=btf_id)


def _load_attr(prog_type_id: int, code: bytes, license: bytes, name: str, *, log_level: int,
               log: bytearray | None, keep: list, **extra: Any) -> bytearray:
    ia, k1 = address(code)
    la, k2 = address(license)
    attr = PROG_LOAD.new(prog_type=prog_type_id, insn_cnt=len(code) // 8, insns=ia, license=la,
                         prog_name=name, **extra)
    keep += [k1, k2]
    if log is not None:
        ba, k3 = address(log)
        keep.append(k3)
        PROG_LOAD.set(attr, log_level=log_level, log_size=len(log), log_buf=ba)
    return attr


def _text(log: bytearray | None) -> str:
    if log is None:
        return ""
    return bytes(log).split(b"\0", 1)[0].decode(errors="replace")


@record(frozen=True)
class LoadOptions:
    """How to load a program: the ``BPF_PROG_LOAD`` fields a `ProgramSpec` does not carry.

    The spec says what the program is (instructions, maps, type, name, license); these
    say how this load asks the kernel for it: the verifier log level, the attach target of
    programs checked against one (``expected_attach_type``, ``attach_btf_id``,
    ``attach_prog_fd``, ``attach_btf_obj_fd``), ``prog_flags`` (``BPF_F_SLEEPABLE``...),
    the BTF and its func/line info, an ``fd_array`` (maps and BTFs that instructions
    index), ``prog_ifindex`` for offloaded programs and ``kern_version``.

    >>> LoadOptions(log_level=2).log_level
    2
    """

    log_level: int = 0
    expected_attach_type: str | int | None = None
    attach_btf_id: int | None = None
    attach_prog_fd: int | None = None
    attach_btf_obj_fd: int | None = None
    prog_flags: int = 0
    kern_version: int = 0
    fd_array: Sequence[int | FD] | None = None
    prog_btf_fd: int = 0
    func_info: bytes | None = None
    func_info_rec_size: int = 0
    line_info: bytes | None = None
    line_info_rec_size: int = 0
    prog_ifindex: int = 0


def load(program: ProgramSpec, prog_type: str | int | None = None, *, maps: Mapping[str, Map] | None = None,
         options: LoadOptions | None = None) -> Program:
    """Load ``program`` as ``prog_type`` (kernel name without prefix: ``"xdp"``,
    ``"socket_filter"``, ``"tracepoint"``...; defaults to ``program.prog_type``).

    Map references are bound from ``maps`` by name, else created from the program's
    `MapSpec` descriptions (owned by the returned `Program`). The program's name and
    license are the spec's; how to load it (log level, attach target, flags, BTF...) is
    ``options``. With ``log_level=0`` the program is first loaded without a log and, on
    failure, again with level 1 to get the log (as libbpf does); the log buffer starts at
    64 KiB and doubles on ENOSPC up to 16 MiB. Failure raises `ProgLoadError` with the
    full log, the errno and a hint.
    """
    ptype = prog_type if prog_type is not None else program.prog_type
    if ptype is None:
        raise PybpfError("load: no program type given and the ProgramSpec has none")
    try:
        ptype_id = A.prog_type(ptype)
    except PybpfError as e:
        raise PybpfError(f"load: {e}") from None
    if not program.insns:
        raise PybpfError("load: the program has no instructions")
    pname = object_name(program.name)
    insns, bound, created = _bind_maps(program, maps)
    try:
        code = b"".join(i.encode() for i in insns)
        lic = (program.license or "GPL").encode() + b"\0"
        keep: list = []
        extra: dict[str, Any] = {"kern_version": 0, "prog_flags": 0, "prog_ifindex": 0}
        if options is not None:  # (no LoadOptions is made without: a start-up path)
            _option_fields(options, extra, keep)
        try:
            fd, log_text = _load_with_log(ptype_id, code, lic, pname,
                                          options.log_level if options is not None else 0, keep, extra)
        except errors.ProgLoadError as exc:  # its text places the failing insn at a source line
            exc.program, exc.prog_type = program, prog_type
            raise
        del keep
    except BaseException:
        for m in created.values():
            m.close()
        raise
    try:
        return Program(fd, type=ptype_id, name=pname, log=log_text, owned_maps=created, maps=bound)
    except BaseException:
        os.close(fd)
        raise


def _option_fields(options: LoadOptions, extra: dict[str, Any], keep: list) -> None:
    """Add the ``BPF_PROG_LOAD`` fields of ``options`` to ``extra`` (the buffers their
    addresses point at to ``keep``)."""
    extra.update(kern_version=options.kern_version, prog_flags=options.prog_flags,
                 prog_ifindex=options.prog_ifindex)
    if options.expected_attach_type is not None:
        extra["expected_attach_type"] = A.attach_type(options.expected_attach_type)
    if options.attach_btf_id is not None:
        extra["attach_btf_id"] = options.attach_btf_id
    if options.attach_prog_fd is not None:
        extra["attach_prog_fd"] = options.attach_prog_fd
    if options.attach_btf_obj_fd is not None:
        extra["attach_btf_obj_fd"] = options.attach_btf_obj_fd
    if options.fd_array:
        fds = b"".join(int(f.fd if isinstance(f, FD) else f).to_bytes(4, "little")
                       for f in options.fd_array)
        fa, fk = address(fds)
        keep.append(fk)
        extra["fd_array"] = fa
    if options.prog_btf_fd:
        extra["prog_btf_fd"] = options.prog_btf_fd
    for what, blob, rec in (("func_info", options.func_info, options.func_info_rec_size),
                            ("line_info", options.line_info, options.line_info_rec_size)):
        if blob:
            if rec <= 0 or len(blob) % rec:
                raise PybpfError(f"load: {what} is {len(blob)} bytes, not a multiple of "
                                 f"{what}_rec_size={rec}")
            ba, bk = address(blob)
            keep.append(bk)
            extra.update({what: ba, f"{what}_rec_size": rec, f"{what}_cnt": len(blob) // rec})


def _load_with_log(ptype_id: int, code: bytes, lic: bytes, pname: str, log_level: int, keep: list,
                   extra: dict[str, Any]) -> tuple[int, str]:
    detail = f"{A.type_name(PROG_TYPES, ptype_id)} program {pname!r}, {len(code) // 8} insns"
    level = log_level
    log: bytearray | None = None if level == 0 else bytearray(LOG_START)
    first_error: KernelError | None = None
    while True:
        attr = _load_attr(ptype_id, code, lic, pname, log_level=level, log=log, keep=keep, **extra)
        try:
            fd = bpf(Cmd.PROG_LOAD, attr, detail=detail)
            return fd, _text(log)
        except KernelError as e:
            if e.errno == errno.ENOSPC and log is not None and len(log) < LOG_MAX:
                # the kernel reports the size it needed (log_true_size) since 6.4
                need = int(PROG_LOAD.get(attr, "log_true_size"))
                log = bytearray(min(max(len(log) * 4, need + 1), LOG_MAX))
                continue
            if log is None:
                # libbpf's way: the fast path failed, load again with a log to say why
                first_error = e
                level = 1
                log = bytearray(LOG_START)
                continue
            err = first_error.errno if (first_error is not None and e.errno == errno.ENOSPC) else e.errno
            text = _text(log)
            hint = _hint(err, text)
            from ..explain.loaderror import describe  # lazy: only a rejected load needs it

            rejected = errors.ProgLoadError("BPF_PROG_LOAD", err, hint=hint, log=text, detail=detail)
            rejected.explain = describe
            raise rejected from None


def _hint(err: int, log: str) -> str:
    base = hint_for(Cmd.PROG_LOAD, err) or ""
    lines = [ln.strip() for ln in log.strip().splitlines() if ln.strip()]
    # the verifier's reason is usually the last line before the "processed N insns" summary
    reason = ""
    for ln in reversed(lines):
        if ln.startswith(("processed ", "verification time", "stack depth", "mark_precise")):
            continue
        reason = ln
        break
    if err == errno.EPERM and not log:
        return base
    if reason:
        return f"{base}; verifier: {reason}" if base else f"verifier: {reason}"
    return base or "see the verifier log"
