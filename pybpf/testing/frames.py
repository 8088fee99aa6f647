"""Packets as bytes: builders for Ethernet, VLAN, IPv4, IPv6, TCP, UDP and ICMP, and a dissector.

The builders compute lengths and checksums unless told otherwise, so a test can build
the exact packet it means, or a corrupt one (a wrong ``tot_len``, an IHL below 5, a UDP
length past the end) by passing the field it wants wrong. `dissect` reads a packet back
the way a careful parser does (every length checked against what is really there), so a
test can state what a program *should* do with any byte string, valid or not. Nothing
here needs hypothesis: the strategies are in `pybpf.testing.netgen`.

>>> pkt = ethernet(ipv4(udp(b"hi", sport=1234, dport=53), src="10.0.0.1", dst="10.0.0.2"))
>>> len(pkt), pkt[12:14].hex(), pkt[23]
(44, '0800', 17)
>>> d = dissect(pkt)
>>> d.l3, d.l4, d.sport, d.dport, d.saddr, d.payload
('ipv4', 'udp', 1234, 53, '10.0.0.1', b'hi')
>>> dissect(pkt[:30]).l4 is None, dissect(pkt[:30]).problem
(True, 'truncated IPv4 header')
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

ETH_HLEN = 14
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
VLAN_TYPES = (ETH_P_8021Q, ETH_P_8021AD)
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ICMPV6 = 58
#: IPv6 extension headers a dissector walks (hop-by-hop, routing, destination options).
IPV6_EXT = (0, 43, 60)
IPV6_FRAGMENT = 44
IP_MF = 0x2000
IP_DF = 0x4000
IP_OFFMASK = 0x1FFF
#: TCP flag bits.
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``.

    >>> hex(checksum(bytes.fromhex("450000730000400040110000c0a80001c0a800c7")))
    '0xb861'
    """
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _addr(value: str | int | bytes, version: int) -> bytes:
    size = 4 if version == 4 else 16
    if isinstance(value, bytes):
        if len(value) != size:
            raise ValueError(f"an IPv{version} address is {size} bytes, not {len(value)}")
        return value
    if isinstance(value, int):
        return value.to_bytes(size, "big")
    return ipaddress.ip_address(value).packed


def ethernet(payload: bytes = b"", *, ethertype: int | None = None, dst: bytes = MAC_B,
             src: bytes = MAC_A, vlans: tuple[int, ...] = (), vlan_type: int = ETH_P_8021Q) -> bytes:
    """An Ethernet frame: ``dst``, ``src``, one 802.1Q tag per VLAN id in ``vlans``
    (outermost first; ``vlan_type`` 0x88a8 for QinQ's outer tag), then ``ethertype``
    (guessed from an IPv4/IPv6 payload's version when None) and the payload."""
    if ethertype is None:
        version = payload[0] >> 4 if payload else 0
        ethertype = ETH_P_IP if version == 4 else ETH_P_IPV6 if version == 6 else 0x88B5
    tags = b""
    for i, vid in enumerate(vlans):
        tpid = vlan_type if i == 0 else ETH_P_8021Q
        tags += struct.pack("!HH", tpid, vid & 0xFFFF)
    return bytes(dst) + bytes(src) + tags + struct.pack("!H", ethertype) + payload


def ipv4(payload: bytes = b"", *, src: str | int | bytes = "10.0.0.1",
         dst: str | int | bytes = "10.0.0.2", proto: int | None = None, ttl: int = 64,
         ident: int = 0, frag: int = 0, flags: int = 0, tos: int = 0, options: bytes = b"",
         tot_len: int | None = None, ihl: int | None = None, check: int | None = None,
         version: int = 4) -> bytes:
    """An IPv4 header and payload. ``frag`` is the fragment offset in 8-byte units,
    ``flags`` the DF/MF bits (`IP_DF`, `IP_MF`); ``options`` are padded to 4 bytes.
    ``tot_len``, ``ihl`` and ``check`` default to the right values; pass them to corrupt.
    A `udp`/`tcp`/`icmp` payload built with `l4` gets its pseudo-header checksum here."""
    if proto is None:
        proto = getattr(payload, "proto", 0)
    options = options + b"\0" * (-len(options) % 4)
    hlen = 20 + len(options)
    s, d = _addr(src, 4), _addr(dst, 4)
    payload = _with_l4_checksum(payload, s, d, proto)
    length = hlen + len(payload) if tot_len is None else tot_len
    vihl = (version << 4) | ((hlen // 4) if ihl is None else ihl)
    hdr = struct.pack("!BBHHHBBH4s4s", vihl, tos, length & 0xFFFF, ident,
                      (flags & 0xE000) | (frag & IP_OFFMASK), ttl, proto, 0, s, d) + options
    csum = checksum(hdr) if check is None else check
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + payload


def ipv6(payload: bytes = b"", *, src: str | int | bytes = "fd00::1",
         dst: str | int | bytes = "fd00::2", next_header: int | None = None,
         hop_limit: int = 64, flow: int = 0, ext: tuple[tuple[int, bytes], ...] = (),
         payload_len: int | None = None) -> bytes:
    """An IPv6 header, extension headers ``ext`` ((type, body) pairs: hop-by-hop 0,
    routing 43, fragment 44, destination options 60; bodies padded to 8 bytes) and the
    payload. ``payload_len`` defaults to the right value."""
    if next_header is None:
        next_header = getattr(payload, "proto", 59)
    s, d = _addr(src, 6), _addr(dst, 6)
    payload = _with_l4_checksum(payload, s, d, next_header)
    chain = b""
    nh = next_header
    for htype, body in reversed(ext):
        if htype == IPV6_FRAGMENT:
            block = struct.pack("!BB", nh, 0) + bytes(body[:6]).ljust(6, b"\0")
        else:
            body = bytes(body) + b"\0" * (-(len(body) + 2) % 8)
            block = struct.pack("!BB", nh, (len(body) + 2) // 8 - 1) + body
        chain = block + chain
        nh = htype
    rest = chain + payload
    plen = len(rest) if payload_len is None else payload_len
    first = (6 << 28) | (flow & 0xFFFFF)
    return struct.pack("!IHBB16s16s", first, plen & 0xFFFF, nh, hop_limit, s, d) + rest


class _L4(bytes):
    """A transport header + payload whose checksum the IP layer fills in (``proto``)."""

    proto = 0
    csum_at = -1  # offset of the checksum field, -1: none to fill
    fill = False

    def __new__(cls, data: bytes, proto: int, csum_at: int, fill: bool) -> _L4:
        obj = super().__new__(cls, data)
        obj.proto, obj.csum_at, obj.fill = proto, csum_at, fill
        return obj


def _with_l4_checksum(payload: bytes, src: bytes, dst: bytes, proto: int) -> bytes:
    if not isinstance(payload, _L4) or not payload.fill or payload.proto != proto:
        return bytes(payload)
    data = bytearray(payload)
    if proto == IPPROTO_ICMP:  # no pseudo header for ICMPv4
        pseudo = b""
    elif len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(data))
    else:
        pseudo = src + dst + struct.pack("!I3xB", len(data), proto)
    csum = checksum(pseudo + bytes(data))
    if proto == IPPROTO_UDP and csum == 0:
        csum = 0xFFFF
    struct.pack_into("!H", data, payload.csum_at, csum)
    return bytes(data)


def udp(payload: bytes = b"", *, sport: int = 40000, dport: int = 53, length: int | None = None,
        check: int | None = None) -> bytes:
    """A UDP header and payload; ``length`` and ``check`` (filled in by `ipv4`/`ipv6`)
    default to the right values."""
    n = 8 + len(payload) if length is None else length
    data = struct.pack("!HHHH", sport, dport, n & 0xFFFF, check or 0) + payload
    return _L4(data, IPPROTO_UDP, 6, check is None)


def tcp(payload: bytes = b"", *, sport: int = 40000, dport: int = 80, seq: int = 1, ack: int = 0,
        flags: int = SYN, window: int = 65535, options: bytes = b"", doff: int | None = None,
        urg: int = 0, check: int | None = None) -> bytes:
    """A TCP header (``options`` padded to 4 bytes) and payload; ``doff`` (header length in
    32-bit words) and ``check`` default to the right values."""
    options = options + b"\0" * (-len(options) % 4)
    off = (20 + len(options)) // 4 if doff is None else doff
    data = struct.pack("!HHIIHHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                       ((off & 0xF) << 12) | (flags & 0x1FF), window, check or 0, urg) + options
    return _L4(data + payload, IPPROTO_TCP, 16, check is None)


def icmp(payload: bytes = b"", *, type: int = 8, code: int = 0, rest: int = 0,
         v6: bool = False, check: int | None = None) -> bytes:
    """An ICMP (or ICMPv6, ``v6=True``) message: type, code, checksum, 4 bytes of
    ``rest`` (id and sequence of an echo), payload."""
    data = struct.pack("!BBHI", type, code, check or 0, rest) + payload
    return _L4(data, IPPROTO_ICMPV6 if v6 else IPPROTO_ICMP, 2, check is None)


# -- reading packets back --------------------------------------------------------------------
@dataclass
class Dissection:
    """What a careful parser finds in a packet; every offset is checked against its length.

    ``problem`` names the first thing wrong (``"truncated IPv4 header"``, ``"IHL below
    5"``, ``"tot_len beyond the packet"``...), None for a well-formed packet. Fields of a
    layer that could not be read stay None.
    """

    length: int
    ethertype: int | None = None
    vlans: list[int] = field(default_factory=list)
    l3: str | None = None           # "ipv4", "ipv6", or None
    l3_offset: int | None = None
    ihl: int | None = None          # IPv4 header length in 32-bit words
    ip_len: int | None = None       # IPv4 tot_len / IPv6 header + payload_len
    ip_options: bytes = b""
    fragment: bool = False          # an IPv4 fragment (MF or offset), an IPv6 fragment header
    first_fragment: bool = True
    proto: int | None = None
    saddr: str | None = None
    daddr: str | None = None
    ttl: int | None = None
    l4: str | None = None           # "tcp", "udp", "icmp", "icmpv6", or None
    l4_offset: int | None = None
    sport: int | None = None
    dport: int | None = None
    tcp_flags: int | None = None
    icmp_type: int | None = None
    payload: bytes | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def dissect(data: bytes) -> Dissection:
    """Read ``data`` as an Ethernet frame (see `Dissection`)."""
    data = bytes(data)
    d = Dissection(len(data))
    if len(data) < ETH_HLEN:
        d.problem = "truncated Ethernet header"
        return d
    off = 12
    etype = struct.unpack_from("!H", data, off)[0]
    while etype in VLAN_TYPES:
        if off + 6 > len(data):
            d.problem = "truncated VLAN tag"
            d.ethertype = etype
            return d
        d.vlans.append(struct.unpack_from("!H", data, off + 2)[0] & 0x0FFF)
        off += 4
        etype = struct.unpack_from("!H", data, off)[0]
    d.ethertype = etype
    off += 2
    if etype == ETH_P_IP:
        _dissect_ipv4(data, off, d)
    elif etype == ETH_P_IPV6:
        _dissect_ipv6(data, off, d)
    return d


def _dissect_ipv4(data: bytes, off: int, d: Dissection) -> None:
    d.l3, d.l3_offset = "ipv4", off
    if off + 20 > len(data):
        d.problem = "truncated IPv4 header"
        return
    vihl, _tos, tot, _ident, frag, ttl, proto = struct.unpack_from("!BBHHHBB", data, off)
    d.ihl, d.ip_len, d.proto, d.ttl = vihl & 0xF, tot, proto, ttl
    d.saddr = str(ipaddress.IPv4Address(data[off + 12:off + 16]))
    d.daddr = str(ipaddress.IPv4Address(data[off + 16:off + 20]))
    if vihl >> 4 != 4:
        d.problem = "IP version is not 4"
        return
    if d.ihl < 5:
        d.problem = "IHL below 5"
        return
    hlen = d.ihl * 4
    if off + hlen > len(data):
        d.problem = "IPv4 options beyond the packet"
        return
    d.ip_options = data[off + 20:off + hlen]
    if tot < hlen:
        d.problem = "tot_len shorter than the header"
        return
    if off + tot > len(data):
        d.problem = "tot_len beyond the packet"
        return
    d.fragment = bool(frag & IP_MF or frag & IP_OFFMASK)
    d.first_fragment = not frag & IP_OFFMASK
    if not d.first_fragment:
        d.payload = data[off + hlen:off + tot]
        return
    _dissect_l4(data, off + hlen, off + tot, proto, d)


def _dissect_ipv6(data: bytes, off: int, d: Dissection) -> None:
    d.l3, d.l3_offset = "ipv6", off
    if off + 40 > len(data):
        d.problem = "truncated IPv6 header"
        return
    first, plen, nh, hops = struct.unpack_from("!IHBB", data, off)
    d.ttl = hops
    d.saddr = str(ipaddress.IPv6Address(data[off + 8:off + 24]))
    d.daddr = str(ipaddress.IPv6Address(data[off + 24:off + 40]))
    if first >> 28 != 6:
        d.problem = "IP version is not 6"
        return
    d.ip_len = 40 + plen
    end = off + 40 + plen
    if end > len(data):
        d.problem = "payload_len beyond the packet"
        return
    pos = off + 40
    for _ in range(8):
        if nh in IPV6_EXT:
            if pos + 8 > end:
                d.problem = "truncated IPv6 extension header"
                return
            nh, hl = data[pos], data[pos + 1]
            pos += (hl + 1) * 8
            if pos > end:
                d.problem = "IPv6 extension header beyond the payload"
                return
        elif nh == IPV6_FRAGMENT:
            if pos + 8 > end:
                d.problem = "truncated IPv6 fragment header"
                return
            fo = struct.unpack_from("!H", data, pos + 2)[0]
            d.fragment = True
            d.first_fragment = fo >> 3 == 0
            nh = data[pos]
            pos += 8
            if not d.first_fragment:
                d.proto = nh
                d.payload = data[pos:end]
                return
        else:
            break
    d.proto = nh
    _dissect_l4(data, pos, end, nh, d)


def _dissect_l4(data: bytes, off: int, end: int, proto: int, d: Dissection) -> None:
    d.l4_offset = off
    if proto == IPPROTO_UDP:
        d.l4 = "udp"
        if off + 8 > end:
            d.l4, d.problem = None, "truncated UDP header"
            return
        d.sport, d.dport, ulen = struct.unpack_from("!HHH", data, off)
        if ulen < 8 or off + ulen > end:
            d.problem = "bad UDP length"
            d.payload = data[off + 8:end]
            return
        d.payload = data[off + 8:off + ulen]
    elif proto == IPPROTO_TCP:
        d.l4 = "tcp"
        if off + 20 > end:
            d.l4, d.problem = None, "truncated TCP header"
            return
        d.sport, d.dport = struct.unpack_from("!HH", data, off)
        doff_flags = struct.unpack_from("!H", data, off + 12)[0]
        d.tcp_flags = doff_flags & 0x1FF
        hlen = (doff_flags >> 12) * 4
        if hlen < 20 or off + hlen > end:
            d.problem = "bad TCP data offset"
            return
        d.payload = data[off + hlen:end]
    elif proto in (IPPROTO_ICMP, IPPROTO_ICMPV6):
        d.l4 = "icmp" if proto == IPPROTO_ICMP else "icmpv6"
        if off + 8 > end:
            d.l4, d.problem = None, "truncated ICMP header"
            return
        d.icmp_type = data[off]
        d.payload = data[off + 8:end]
    else:
        d.payload = data[off:end]
