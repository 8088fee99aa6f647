"""The packet builders, the dissector and the packet strategies, against dpkt (an independent
parser): headers, lengths and checksums of every valid packet read back the same; every
corruption is seen by both; the dissector never raises on any bytes."""
from __future__ import annotations

import ipaddress
import struct

import dpkt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.testing import frames as P
from pybpf.testing.netgen import packets, xdp_packets


def _dpkt_l3(frame: bytes):
    eth = dpkt.ethernet.Ethernet(frame)
    return eth, eth.data


def _checksum_ok_v4(ip: bytes) -> bool:
    return P.checksum(ip[:(ip[0] & 0xF) * 4]) == 0


@settings(max_examples=100)
@given(packets(corrupt=False, other=False, vlans=False))
def test_valid_packets_read_back_by_dpkt(pkt):
    d = P.dissect(pkt)
    assert d.ok, (d.problem, pkt.recipe)
    eth, ip = _dpkt_l3(bytes(pkt))
    if d.l3 == "ipv4":
        assert isinstance(ip, dpkt.ip.IP)
        assert (ip.src, ip.dst) == (ipaddress.IPv4Address(d.saddr).packed,
                                    ipaddress.IPv4Address(d.daddr).packed)
        assert ip.p == d.proto and ip.len == d.ip_len and ip.hl == d.ihl
        assert _checksum_ok_v4(bytes(pkt[14:]))
        raw = bytes(pkt[14:14 + ip.len])
        pseudo = raw[12:20] + struct.pack("!BBH", 0, ip.p, ip.len - ip.hl * 4)
    else:
        assert isinstance(ip, dpkt.ip6.IP6)
        assert ip.nxt in (d.proto, 0, 60, 44) and ip.plen + 40 == d.ip_len
        raw = bytes(pkt[14:14 + 40 + ip.plen])
        pseudo = raw[8:40] + struct.pack("!I3xB", ip.plen - (d.l4_offset - 14 - 40), d.proto)
    if d.fragment and not d.first_fragment:
        return
    seg = bytes(pkt[d.l4_offset:14 + d.ip_len])
    if d.l4 == "udp":
        u = dpkt.udp.UDP(seg)
        assert (u.sport, u.dport, u.ulen) == (d.sport, d.dport, len(seg))
        assert bytes(u.data) == d.payload
    elif d.l4 == "tcp":
        t = dpkt.tcp.TCP(seg)
        assert (t.sport, t.dport, t.flags) == (d.sport, d.dport, d.tcp_flags)
        assert bytes(t.data) == d.payload
    else:
        assert d.l4 in ("icmp", "icmpv6") and seg[0] == d.icmp_type
        if d.l4 == "icmp":
            pseudo = b""
    if not d.fragment:  # a fragment's checksum covers the whole datagram, not this piece
        assert P.checksum(pseudo + seg) == 0, f"bad L4 checksum: {pkt.recipe}"


@given(st.binary(max_size=200))
def test_dissect_never_raises(data):
    d = P.dissect(data)
    assert d.length == len(data)


@settings(max_examples=120)
@given(packets(ports=[9999]))
def test_drawn_packets_and_their_recipes(pkt):
    """Every frame is at least an Ethernet header; a corrupted one says so; a frame the
    recipe calls IPv4/UDP to port 9999 (uncorrupted) is one for the dissector too."""
    assert len(pkt) >= 14 and pkt.recipe
    d = P.dissect(pkt)
    corrupted = any(w in pkt.recipe for w in ("truncated", "tot_len", "payload_len", "IHL",
                                              "UDP length", "data offset", "wrong IP version",
                                              "checksum"))
    if not corrupted and "vlans" not in pkt.recipe and pkt.recipe.startswith(("ipv4", "ipv6")):
        assert d.ok and d.l3 == pkt.recipe[:4]
        if "fragment offset" not in pkt.recipe or "offset 0 " in pkt.recipe + " ":
            assert d.l4 == pkt.recipe.split("/")[1].split()[0].replace("icmp", d.l4 or "icmp")


@pytest.mark.parametrize("how,problem", [
    (lambda f: f[:30], "truncated IPv4 header"),
    (lambda f: f[:14] + bytes([0x44]) + f[15:], "IHL below 5"),
    (lambda f: f[:16] + b"\x01\x00" + f[18:], "tot_len beyond the packet"),
    (lambda f: f[:38] + b"\x00\x03" + f[40:], "bad UDP length"),
    (lambda f: f[:14] + bytes([0x65]) + f[15:], "IP version is not 4"),
])
def test_corruptions_seen_by_both(how, problem):
    frame = how(P.ethernet(P.ipv4(P.udp(b"payload", dport=53))))
    assert P.dissect(frame).problem == problem
    with pytest.raises((dpkt.UnpackError, dpkt.NeedData, AssertionError)):
        eth, ip = _dpkt_l3(frame)
        assert isinstance(ip, dpkt.ip.IP) and ip.v == 4 and ip.hl >= 5 and len(ip) == ip.len
        u = ip.data
        assert isinstance(u, dpkt.udp.UDP) and u.ulen == len(bytes(u))


def test_vlan_tags_and_checksums_of_known_packets():
    f = P.ethernet(P.ipv4(P.udp(b"x", sport=1, dport=2)), vlans=(100, 200), vlan_type=P.ETH_P_8021AD)
    eth = dpkt.ethernet.Ethernet(f)
    assert [t.id for t in eth.vlan_tags] == [100, 200]
    d = P.dissect(f)
    assert d.vlans == [100, 200] and (d.sport, d.dport) == (1, 2)
    # the RFC 1071 example header
    assert P.checksum(bytes.fromhex("4500007300004000401100 00c0a80001c0a800c7".replace(" ", ""))) == 0xB861


def test_xdp_packets_find_the_minimal_udp_frame():
    from hypothesis import find

    pkt = find(xdp_packets(l3=["ipv4"], l4=["udp"], ports=[9999]),
               lambda p: P.dissect(p).dport == 9999 and len(p) == 42)
    assert P.dissect(pkt).payload == b""
