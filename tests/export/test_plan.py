"""Plans, label decoders and declaration errors, without a kernel."""

from __future__ import annotations

import socket
import types

import pytest

from pybpf.dsl import ArrayMap, HashMap, Histogram, RingBuf, Struct, char, u16, u32, u64
from pybpf.dsl.types import be16, u8
from pybpf.errors import ExportError
from pybpf.export import counter, gauge, histogram, linear_buckets, log2_buckets
from pybpf.export.labels import cgroup_path, decoder, infer, ksym_name
from pybpf.export.plan import metric_prefix, plan_metrics


class Conn(Struct):
    saddr: u8[4]
    daddr6: u8[16]
    dport: be16
    sport: u16
    pid: u32
    comm: char[16]


class Ev(Struct):
    pid: u32


def _module(source: str, **maps) -> types.ModuleType:
    mod = types.ModuleType("probe_under_test")
    mod.__file__ = "/x/my-probe.py"
    mod.__dict__.update(maps)
    return mod


def _plans(source: str, metrics=None, **maps):
    mod = _module(source, **maps)
    if metrics is not None:
        mod.METRICS = metrics
    return plan_metrics(mod, maps, source=source)


def test_defaults_follow_what_the_probes_do_with_each_map():
    src = ("def f(ctx):\n    hits[comm()] += 1\n    last[pid()] = 3\n    tmp[pid()] = 1\n"
           "    del tmp[pid()]\n    hist.log2(5)\n    cfg.get(1, 0)\n    events.output(e)\n"
           "def setup():\n    cfg[1] = 2\n")
    maps = dict(hits=HashMap(char[16], u64), last=HashMap(u32, u64), tmp=HashMap(u32, u64),
                hist=Histogram(), cfg=HashMap(u32, u64), events=RingBuf(Ev))
    got = {p.map_name: (p.kind, p.label_names, p.values[0].metric) for p in _plans(src, **maps)}
    assert got == {"hits": ("counter", ("comm",), "my_probe_hits"),
                   "last": ("gauge", ("pid", "process"), "my_probe_last"),
                   "hist": ("histogram", (), "my_probe_hist")}


def test_struct_keys_get_one_label_per_field_decoded_by_name_and_type():
    src = "def f(ctx):\n    conns[k] += 1\n"
    (p,) = _plans(src, conns=HashMap(Conn, u64))
    assert p.label_names == ("saddr", "daddr6", "dport", "sport", "pid", "process", "comm")
    assert [x.decoder.kind for x in p.parts] == ["ipv4", "ipv6", "port", "port", "pid", "string"]
    raw = Conn.encode({"saddr": [192, 168, 1, 2], "daddr6": list(socket.inet_pton(socket.AF_INET6, "::1")),
                       "dport": 443, "sport": 5555, "pid": 1, "comm": b"curl"})
    values = [v for part in p.parts for v in part.decoder.fn(raw[part.offset:part.offset + part.size])]
    assert values[:5] == ["192.168.1.2", "::1", "443", "5555", "1"] and values[-1] == "curl"


def test_declared_names_labels_decoders_and_none():
    src = "def f(ctx):\n    a[pid()] += 1\n    b[pid()] += 1\n"
    plans = _plans(src, {"a": counter("reqs_total", help="h", labels=["who"], decode={"who": "hex"}),
                         "b": None}, a=HashMap(u32, u64), b=HashMap(u32, u64))
    (p,) = plans
    assert (p.values[0].metric, p.help, p.label_names, p.parts[0].decoder.kind) == ("reqs", "h", ("who",), "hex")


@pytest.mark.parametrize("metrics,match", [
    ({"nope": counter()}, r"METRICS names 'nope', which is not a map of this probe \(maps: a\)"),
    ({"a": "counter"}, r"map a: METRICS\['a'\] must be counter"),
    ({"a": counter("9bad")}, r"map a: metric name '9bad' is not a Prometheus name"),
    ({"a": counter(labels=["x", "y"])}, r"map a: 2 label names \(x, y\) for a key of 1 part"),
    ({"a": counter(labels=["__x"])}, r"map a: label name '__x' is not a Prometheus label name"),
    ({"a": counter(decode={"pid": "mac"})}, r"map a: label 'pid': unknown decoder 'mac'"),
    ({"a": histogram()}, r"map a: a histogram in a hash map needs bucket='FIELD'"),
    ({"a": gauge(fields={"x": "y"})}, r"map a: fields \['x'\] are not integer fields"),
    ([1], r"METRICS must be a dict"),
])
def test_declaration_errors_name_the_file_and_map(metrics, match):
    with pytest.raises(ExportError, match=match) as e:
        _plans("def f(ctx):\n    a[pid()] += 1\n", metrics, a=HashMap(u32, u64))
    assert str(e.value).startswith("/x/my-probe.py")


def test_two_maps_cannot_export_one_name():
    with pytest.raises(ExportError, match="two maps export the metric name 'x'"):
        _plans("", {"a": gauge("x"), "b": gauge("x")}, a=ArrayMap(u64, 1), b=ArrayMap(u64, 1))


def test_pid_labels_collide_with_a_process_field():
    class K(Struct):
        pid: u32
        process: u32

    with pytest.raises(ExportError, match="label 'process' comes twice"):
        _plans("def f(c):\n    m[k] += 1\n", m=HashMap(K, u64))


def test_buckets_and_prefix():
    b = log2_buckets()
    assert [(b.lower(i), b.upper(i)) for i in range(3)] == [(0, 1), (2, 3), (4, 7)]
    lin = linear_buckets(10, 5)
    assert (lin.lower(0), lin.upper(0), lin.mid(1)) == (10, 14, 17.0)
    with pytest.raises(ExportError, match="positive integer step"):
        linear_buckets(0, 0)
    assert metric_prefix("a/b/9-lives.py") == "probe_9_lives"


def test_label_lookups_fall_back_to_numbers():
    assert infer("x", u64, 8) == "int" and infer("ip", u64, 8) == "ksym"
    assert cgroup_path(1 << 62) == str(1 << 62)
    assert decoder("bool", u8).fn(b"\x01") == ("true",)
    assert ksym_name(0) in ("0x0", "") or ksym_name(0).startswith("0x")
