"""Packet headers for XDP probes, and ``header(ctx, Hdr, offset)``: a bounds-checked pointer
into the packet (None when the packet is too short), checked like a map lookup.

Multi-byte fields are in network byte order in the packet (``be16``/``be32``); probes
read and compare them in host order (the compiler emits the byte swaps).

>>> IpHdr.size, UdpHdr.field("dest").offset
(20, 2)
"""

from __future__ import annotations

from .types import Struct, be16, be32, u8

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IPPROTO_TCP, IPPROTO_UDP = 6, 17
ETH_HLEN = 14


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
