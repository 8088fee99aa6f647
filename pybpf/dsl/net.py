"""Packet headers for XDP and tc probes, and ``header(ctx, Hdr, offset)``: a bounds-checked
pointer into the packet (None when the packet is too short), checked like a map lookup.

Ethernet, IPv4, IPv6, UDP and TCP headers; tc verdicts (``TC_ACT_OK``, ``TC_ACT_SHOT``) for
``@probe("tc", iface=...)`` (a tcx ingress link by default; ``direction="egress"``).

Multi-byte fields are in network byte order in the packet (``be16``/``be32``); probes
read and compare them in host order (the compiler emits the byte swaps).

>>> IpHdr.size, Ipv6Hdr.size, Ipv6Hdr.field("daddr").offset, UdpHdr.field("dest").offset
(20, 40, 24, 2)
"""

from __future__ import annotations

from .types import Struct, be16, be32, u8

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 = 6, 17, 58
ETH_HLEN = 14
IPV6_HLEN = 40
TC_ACT_OK, TC_ACT_SHOT, TC_ACT_PIPE = 0, 2, 3


class EthHdr(Struct):
    dst: u8[6]
    src: u8[6]
    proto: be16


class IpHdr(Struct):
    ver_ihl: u8
    tos: u8
    tot_len: be16
    id: be16
    frag_off: be16
    ttl: u8
    protocol: u8
    check: be16
    saddr: be32
    daddr: be32


class Ipv6Hdr(Struct):
    """The fixed IPv6 header (RFC 8200): version, traffic class and flow label in one word."""

    ver_tc_flow: be32
    payload_len: be16
    nexthdr: u8
    hop_limit: u8
    saddr: u8[16]
    daddr: u8[16]


class UdpHdr(Struct):
    source: be16
    dest: be16
    len: be16
    check: be16


class TcpHdr(Struct):
    source: be16
    dest: be16
    seq: be32
    ack_seq: be32
    off_flags: be16
    window: be16
    check: be16
    urg_ptr: be16


def header(ctx: object, hdr: type[Struct], offset: int) -> Struct | None:
    """In a probe: a pointer to ``hdr`` at ``offset`` in the packet, or None if it does not fit."""
    from ..errors import DslError

    raise DslError("header() runs only inside an XDP probe")
