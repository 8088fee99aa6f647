"""The C fast path of integer maps (src_c/mapops.c) against the Python path, on the live
kernel: the same values, the same errors, for every key/value width, across threads, and
with the compiled calls absent (the path a wheel without them takes)."""
from __future__ import annotations

import errno
import threading

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pybpf import uapi as A
from pybpf.errors import KernelError
from pybpf.isa import MapSpec
from pybpf.kernel import syscall
from pybpf.kernel.fd import ClosedError
from pybpf.kernel.maps import ArrayMap, CodecError, HashMap, Map, PerCpuHashMap

pytestmark = pytest.mark.kernel

SHAPES = [(4, 8), (1, 1), (2, 4), (8, 8), (8, 2)]


def pair(ks: int, vs: int, entries: int = 64) -> tuple[Map, Map]:
    """Two int maps of one shape: the first on the C path, the second on the Python path."""
    spec = MapSpec("fastpath", "hash", ks, vs, entries, key_type=int, value_type=int)
    fast, slow = Map.create(spec), Map.create(spec)
    slow._fast_uint(False)
    assert fast._get is not None and slow._get is None
    return fast, slow


def outcome(fn, *args):
    """What a call gives: ("ok", value) or (exception type, errno or field)."""
    try:
        return ("ok", fn(*args))
    except KernelError as e:
        return (type(e).__name__, e.errno)
    except CodecError as e:
        return ("CodecError", e.field)
    except (KeyError, TypeError, ClosedError) as e:
        return (type(e).__name__, None)


ints = st.one_of(st.integers(-(1 << 64), (1 << 65)), st.sampled_from([0, 1, 255, 256, 65535, 65536,
                                                                      (1 << 32) - 1, 1 << 32,
                                                                      (1 << 64) - 1, -1]))


@pytest.mark.parametrize("ks,vs", SHAPES)
@settings(max_examples=30)
@given(ops=st.lists(st.tuples(st.sampled_from(["set", "get", "getitem", "setitem", "del", "in",
                                               "get_default"]), ints, ints), max_size=25))
@example(ops=[("set", 5, 7), ("get", 5, 0), ("del", 5, 0), ("get", 5, 0), ("del", 5, 0)])
@example(ops=[("setitem", -1, -1), ("getitem", -1, 0), ("in", -1, 0), ("set", 1 << 70, 0)])
def test_fast_path_gives_what_the_python_path_gives(ks: int, vs: int, ops) -> None:
    fast, slow = pair(ks, vs)
    with fast, slow:
        for op, k, v in ops:
            results = []
            for m in (fast, slow):
                call = {"set": lambda m=m, k=k, v=v: m.update(k, v),
                        "setitem": lambda m=m, k=k, v=v: m.__setitem__(k, v),
                        "get": lambda m=m, k=k: m.lookup(k), "getitem": lambda m=m, k=k: m[k],
                        "del": lambda m=m, k=k: m.delete(k), "in": lambda m=m, k=k: k in m,
                        "get_default": lambda m=m, k=k: m.get(k, "none")}[op]
                results.append(outcome(call))
            assert results[0] == results[1], (op, k, v)
        assert sorted(fast.items()) == sorted(slow.items())


def test_flags_and_kernel_errors_are_the_same() -> None:
    fast, slow = pair(4, 8, entries=2)
    with fast, slow:
        for m in (fast, slow):
            m[1] = 10
            m[2] = 20
        for call in (lambda m: m.update(1, 5, A.BPF_NOEXIST), lambda m: m.update(9, 5, A.BPF_EXIST),
                     lambda m: m.update(3, 5), lambda m: m.__setitem__(3, 5),
                     lambda m: m.lookup(7), lambda m: m.delete(7), lambda m: m.update(b"\1\0\0\0", 4),
                     lambda m: m[b"\1\0\0\0"], lambda m: m.update(1, b"\0" * 8), lambda m: m[1.5]):
            assert outcome(call, fast) == outcome(call, slow)
        assert outcome(lambda m: m.update(1, 5, A.BPF_NOEXIST), fast) == ("KernelError", errno.EEXIST)
        assert outcome(lambda m: m.update(3, 5), fast) == ("KernelError", errno.E2BIG)


def test_a_closed_map_says_closed_on_both_paths() -> None:
    fast, slow = pair(4, 8)
    fast.close()
    slow.close()
    for call in (lambda m: m[1], lambda m: m.lookup(1), lambda m: m.__setitem__(1, 2),
                 lambda m: m.delete(1)):
        assert outcome(call, fast) == outcome(call, slow) == ("ClosedError", None)


def test_threads_read_their_own_answers() -> None:
    # each thread looks up present and absent keys at once: the C path's errno is per thread
    with HashMap.create(MapSpec("threads", key_size=4, value_size=8, max_entries=512,
                                key_type=int, value_type=int)) as m:
        for k in range(0, 512, 2):
            m[k] = k * 3 + 1
        bad: list[tuple[int, object]] = []

        def reader(offset: int) -> None:
            for _ in range(20):
                for k in range(offset, 512, 4):
                    got = m.get(k)
                    want = k * 3 + 1 if k % 2 == 0 else None
                    if got != want:
                        bad.append((k, got))

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not bad


def test_which_maps_take_the_fast_path() -> None:
    spec = MapSpec("kinds", "hash", 4, 8, 8)
    with Map.create(spec.replace(key_type=int, value_type=int)) as ints, \
            Map.create(spec) as raw, \
            Map.create(spec.replace(key_type="<I", value_type="<Q")) as structs, \
            PerCpuHashMap.create(spec.replace(type="percpu_hash", key_type=int,
                                              value_type=int)) as percpu, \
            ArrayMap.create(MapSpec("arr", "array", 4, 8, 4, value_type=int)) as arr:
        assert ints._get is not None and arr._get is not None
        assert raw._get is None and structs._get is None and percpu._get is None
        arr[3] = 9
        assert arr[3] == 9 and arr[0] == 0 and 3 in arr and 4 not in arr


def test_the_syscall_seam_still_sees_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = syscall._sys_bpf

    def spy(cmd: int, attr: bytearray) -> tuple[int, int]:
        calls.append(cmd)
        return real(cmd, attr)

    with HashMap.create(MapSpec("seam", key_size=4, value_size=8, max_entries=4, key_type=int,
                                value_type=int)) as m:
        monkeypatch.setattr(syscall, "_sys_bpf", spy)
        m[1] = 2
        assert m[1] == 2 and m.lookup(1) == 2
        del m[1]
    assert calls.count(int(syscall.Cmd.MAP_UPDATE_ELEM)) == 1
    assert calls.count(int(syscall.Cmd.MAP_LOOKUP_ELEM)) == 2
    assert calls.count(int(syscall.Cmd.MAP_DELETE_ELEM)) == 1


@pytest.mark.parametrize("ks,vs", SHAPES)
@pytest.mark.parametrize("batch_size", [None, 5])
def test_lookup_batch_dict_in_c_gives_the_python_paths_dict(monkeypatch: pytest.MonkeyPatch, ks: int,
                                                           vs: int, batch_size: int | None) -> None:
    """lookup_batch_dict() filled by pybpf._batchdict (src_c/pyext/batchdict.c) equals the
    dict the Python path builds from memoryview casts, entry for entry and in the same
    order, with the extreme values of each width (2**64 - 1 is above C's long)."""
    from pybpf.kernel.maps import batch

    assert batch._batchdict_fill() is not None  # built with pybpf: the C path is taken
    top_k, top_v = (1 << (8 * ks)) - 1, (1 << (8 * vs)) - 1
    entries = {0: top_v, top_k: 0, 1: 1, top_k - 1: top_v >> 1, 255 & top_k: top_v - 1}
    entries.update({(i * 37) & top_k: (i * 0x9E3779B97F4A7C15) & top_v for i in range(40)})
    spec = MapSpec("batchdict", "hash", ks, vs, len(entries) + 1, key_type=int, value_type=int)
    with Map.create(spec) as m:
        for k, v in entries.items():
            m[k] = v
        in_c = m.lookup_batch_dict(batch_size)
        monkeypatch.setattr(batch, "_FILL", False)
        in_python = m.lookup_batch_dict(batch_size)
        assert in_c == in_python == entries
        assert list(in_c.items()) == list(in_python.items())
        assert all(type(k) is int and type(v) is int for k, v in in_c.items())


def test_batchdict_refuses_sizes_it_does_not_decode() -> None:
    from pybpf._batchdict import fill

    assert fill(0, 0, 0, 4, 8, 8) == {}
    for bad in [(0, 0, 1, 4, 8, 8), (1, 1, 1, 3, 8, 8), (1, 1, 1, 4, 16, 16), (1, 1, 1, 4, 8, 4),
                (1, 1, -1, 4, 8, 8)]:
        with pytest.raises(ValueError):
            fill(*bad)


def _cffi_calls():
    """The cffi calls of src_c/mapops.c, in `_uint_calls`' convention (get: value or -errno)."""
    native = syscall._native()
    lib, ffi = native.lib, native.ffi

    def get(fd: int, key: int, shape: int) -> int:
        value = lib.pybpf_map_get_uint(fd, key, shape)
        return value if value else -ffi.errno

    return get, lib.pybpf_map_set_uint, lib.pybpf_map_del_uint


@pytest.mark.parametrize("ks,vs", SHAPES)
@settings(max_examples=25)
@given(ops=st.lists(st.tuples(st.sampled_from(["set", "get", "del"]), ints, ints,
                              st.sampled_from([A.BPF_ANY, A.BPF_NOEXIST, A.BPF_EXIST])), max_size=20))
@example(ops=[("set", 5, 7, A.BPF_ANY), ("get", 5, 0, 0), ("set", 5, 8, A.BPF_NOEXIST),
              ("del", 5, 0, 0), ("get", 5, 0, 0), ("del", 5, 0, 0), ("set", 5, 1, A.BPF_EXIST)])
@example(ops=[("set", -1, 0, A.BPF_ANY), ("get", 1 << 64, 0, 0), ("set", 1, 1 << 70, A.BPF_ANY)])
def test_mapcall_answers_as_the_cffi_calls(ks: int, vs: int, ops) -> None:
    """pybpf._mapcall (one CPython call) and src_c/mapops.c through cffi: the same answer
    and the same map after every call, errno and exception type included."""
    from pybpf import _mapcall

    shape = ks << 8 | vs
    spec = MapSpec("mapcall", "hash", ks, vs, 64, key_type=int, value_type=int)
    a, b = Map.create(spec), Map.create(spec)
    calls = {a: (_mapcall.get, _mapcall.set, _mapcall.delete), b: _cffi_calls()}
    with a, b:
        for op, k, v, flags in ops:
            got = []
            for m in (a, b):
                get, set_, delete = calls[m]
                args = {"get": (get, m.fd, k, shape), "set": (set_, m.fd, k, v, shape, flags),
                        "del": (delete, m.fd, k, shape)}[op]
                try:
                    got.append(("ok", args[0](*args[1:])))
                except (TypeError, OverflowError) as e:
                    got.append((type(e).__name__, None))
            assert got[0] == got[1], (op, k, v, flags)
            assert dict(a.items()) == dict(b.items())
    with pytest.raises(TypeError):
        _mapcall.get(0, "key", shape)
    with pytest.raises(TypeError):
        _mapcall.set(0, 1)


def test_maps_read_and_write_elements_through_the_c_slots() -> None:
    """Built with pybpf._mapcall, m[k] and m[k] = v are its ElemBase's mapping slots (no
    Python frame); the map keeps its weak references and still refuses to be pickled."""
    import pickle
    import weakref

    from pybpf import _mapcall
    from pybpf.kernel.maps.elems import ElemBase

    assert ElemBase is _mapcall.ElemBase and issubclass(HashMap, ElemBase)
    fast, slow = pair(4, 8)
    with fast, slow:
        assert type(fast).__getitem__ is _mapcall.ElemBase.__getitem__
        assert fast._fast == 4 << 8 | 8 and slow._fast == 0 and fast._shape == slow._shape
        assert weakref.ref(fast)() is fast
        with pytest.raises(TypeError):
            pickle.dumps(fast)


@pytest.mark.parametrize("ks,vs", SHAPES)
@settings(max_examples=25)
@given(ops=st.lists(st.tuples(st.sampled_from(["getitem", "setitem", "delitem"]),
                              st.one_of(ints, st.just("k"), st.just(b"\1\0")),
                              st.one_of(ints, st.just(b"\2\0"), st.just(1.5))), max_size=20))
@example(ops=[("setitem", 5, 7), ("getitem", 5, 0), ("delitem", 5, 0), ("getitem", 5, 0),
              ("delitem", 5, 0), ("setitem", -1, 1), ("setitem", 1 << 64, 1), ("getitem", "k", 0)])
def test_the_c_slots_answer_as_the_python_fallback(ks: int, vs: int, ops) -> None:
    """pybpf._mapcall.ElemBase's slots and ElemsPy (the base where the extension is missing),
    each on its own map: the same values, the same exceptions, the same map after."""
    from pybpf.kernel.maps.elems import ElemsPy

    spec = MapSpec("slots", "hash", ks, vs, 64, key_type=int, value_type=int)
    c, py = Map.create(spec), Map.create(spec)
    calls = {"getitem": (lambda k, v: c[k], lambda k, v: ElemsPy.__getitem__(py, k)),
             "setitem": (c.__setitem__, lambda k, v: ElemsPy.__setitem__(py, k, v)),
             "delitem": (lambda k, v: c.__delitem__(k), lambda k, v: ElemsPy.__delitem__(py, k))}
    with c, py:
        for op, k, v in ops:
            assert outcome(calls[op][0], k, v) == outcome(calls[op][1], k, v), (op, k, v)
            assert dict(c.items()) == dict(py.items())


def test_only_plain_kinds_take_the_c_path() -> None:
    """The C calls keep the GIL, so only kinds whose kernel element ops never sleep take
    them (base._PLAIN_KINDS): not map-in-map (synchronize_rcu), not fd-keyed storage."""
    from pybpf.kernel.maps import ArrayOfMaps, LruHashMap, TaskStorageMap

    ints = dict(key_type=int, value_type=int)
    with LruHashMap.create(MapSpec("lru", key_size=4, value_size=8, max_entries=4, **ints)) as lru, \
            ArrayMap.create(MapSpec("inner", key_size=4, value_size=4, max_entries=1)) as inner, \
            ArrayOfMaps.create(MapSpec("outer", max_entries=2, key_type=int), inner_map=inner) as aom, \
            TaskStorageMap.create(MapSpec("task", value_size=8, **ints)) as task:
        assert lru._fast and lru._shape
        assert not aom._fast and not aom._shape and not task._fast and not task._shape
        aom[0] = inner
        assert aom[0] == inner.id


def test_maps_work_without_the_mapcall_extension() -> None:
    """Where pybpf._mapcall is missing, Map's base is ElemsPy and the cffi calls serve."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['pybpf._mapcall'] = None\n"
            "from pybpf.kernel.maps import HashMap, MapSpec\n"
            "from pybpf.kernel.maps.elems import ElemBase, ElemsPy\n"
            "assert ElemBase is ElemsPy and HashMap.__getitem__ is ElemsPy.__getitem__\n"
            "with HashMap.create(MapSpec('nomc', key_size=4, value_size=8, max_entries=4,\n"
            "                            key_type=int, value_type=int)) as m:\n"
            "    assert m._get is not None\n"
            "    m[1] = 2; m[2] = 3; del m[2]\n"
            "    assert m[1] == 2 and 2 not in m and m.get(2) is None\n"
            "    try: m[2]\n"
            "    except KeyError as e: assert e.args == (2,)\n"
            "    else: raise AssertionError('no KeyError')\n")
    subprocess.run([sys.executable, "-c", code], check=True)
