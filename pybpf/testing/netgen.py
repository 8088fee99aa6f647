"""Hypothesis strategies for packets: Ethernet frames with VLAN tags, IPv4/IPv6, TCP/UDP/ICMP,
valid and corrupt, shaped for XDP, tc and socket-filter programs.

Every frame is a `Packet` (``bytes`` with a ``recipe`` saying how it was built, shown when
hypothesis reports a failing example). Draws lean on the places where packet parsers go
wrong: empty payloads (the shortest valid packet), ports and addresses a test names
(``ports=[9999]``), cuts at header boundaries and one byte either side, IPv4 options and
IHL values, fragments, TCP options and data offsets, lengths that disagree with the bytes
there, stacked VLAN tags. They shrink toward a plain, valid, minimal packet (every
optional feature is off at the low end of its draw).

>>> from hypothesis import find
>>> from pybpf.testing.frames import dissect
>>> pkt = find(xdp_packets(l3=["ipv4"], l4=["udp"], ports=[9999]),
...            lambda p: dissect(p).dport == 9999)
>>> len(pkt), pkt.recipe
(42, 'ipv4/udp 10.0.0.1:9999 -> 10.0.0.1:9999 payload 0')
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from . import frames as P

#: Ports parsers trip on: 0, the well-known edges, byte-swapped look-alikes.
EDGE_PORTS = (0, 1, 53, 80, 255, 256, 443, 1023, 1024, 8080, 32768, 65535)
#: Where packets are cut: the ends of the Ethernet, IPv4/IPv6 and L4 headers.
_V4_BOUNDS = (14, 34, 38, 42, 54)
_V6_BOUNDS = (14, 54, 58, 62, 74)
_TCP_OPTIONS = (
    b"\x02\x04\x05\xb4",                       # MSS 1460
    b"\x01\x03\x03\x07",                       # NOP, window scale 7
    b"\x04\x02",                               # SACK permitted
    b"\x01\x01\x08\x0a" + bytes(8),            # NOP NOP timestamps
    b"\x00",                                   # end of options
)
_IP_OPTIONS = (
    b"\x01\x01\x01\x01",                       # NOPs
    b"\x07\x07\x04" + bytes(4),                # record route, one slot
    b"\x44\x0c\x05\x00" + bytes(8),            # timestamp
    b"\x94\x04\x00\x00",                       # router alert
    b"\x00",                                   # end of options
)
CORRUPTIONS = ("truncate", "ip_len_long", "ip_len_short", "ihl_small", "ihl_large",
               "l4_len", "tcp_doff", "ip_version", "bad_checksum")


class Packet(bytes):
    """A drawn frame; ``recipe`` describes it (``"ipv4/udp 10.0.0.1:1 -> 10.0.0.2:53
    payload 0"``, plus any corruption)."""

    recipe = ""

    def __new__(cls, data: bytes, recipe: str = "") -> Packet:
        obj = super().__new__(cls, data)
        obj.recipe = recipe
        return obj

    def __repr__(self) -> str:
        return f"Packet({bytes(self)!r}, {self.recipe!r})"


def _port(ports: Sequence[int]) -> st.SearchStrategy[int]:
    choices = list(dict.fromkeys([*ports, *EDGE_PORTS]))
    if ports:  # the ports a test names come up in about a third of the draws
        return st.one_of(st.sampled_from(list(ports)), st.sampled_from(choices),
                         st.integers(0, 65535))
    return st.one_of(st.sampled_from(choices), st.integers(0, 65535))


def _v4(addresses: Sequence[str]) -> st.SearchStrategy[str]:
    fixed = [a for a in addresses if ":" not in a] or ["10.0.0.1", "10.0.0.2"]
    edge = ["0.0.0.0", "127.0.0.1", "255.255.255.255", "192.168.1.1", "224.0.0.1"]
    return st.one_of(st.sampled_from(fixed + edge),
                     st.integers(0, (1 << 32) - 1).map(lambda n: str(P.ipaddress.IPv4Address(n))))


def _v6(addresses: Sequence[str]) -> st.SearchStrategy[str]:
    fixed = [a for a in addresses if ":" in a] or ["fd00::1", "fd00::2"]
    edge = ["::", "::1", "fe80::1", "ff02::1", "2001:db8::1"]
    return st.one_of(st.sampled_from(fixed + edge),
                     st.integers(0, (1 << 128) - 1).map(lambda n: str(P.ipaddress.IPv6Address(n))))


def _payload(max_payload: int) -> st.SearchStrategy[bytes]:
    return st.one_of(st.just(b""), st.binary(max_size=max_payload))


@st.composite
def packets(draw: st.DrawFn, *, l3: Sequence[str] = ("ipv4", "ipv6"),
            l4: Sequence[str] = ("udp", "tcp", "icmp"), ports: Sequence[int] = (),
            addresses: Sequence[str] = (), vlans: bool = True, corrupt: bool = True,
            other: bool = True, max_payload: int = 64, min_length: int = P.ETH_HLEN) -> Packet:
    """An Ethernet frame (see the module docstring).

    ``l3``/``l4`` choose the protocols, ``ports``/``addresses`` values to draw often,
    ``vlans`` allows 802.1Q/QinQ tags, ``corrupt`` allows about one frame in four to be
    broken (truncated, lengths or IHL or data offset wrong, bad checksum), ``other``
    allows ARP and unknown EtherTypes; no frame is shorter than ``min_length`` (14:
    ``BPF_PROG_TEST_RUN`` refuses less than an Ethernet header).
    """
    kinds = list(l3) + (["other"] if other else [])
    kind = draw(st.sampled_from(kinds))
    tags: tuple[int, ...] = ()
    if vlans and draw(st.integers(0, 5)) == 5:
        tags = tuple(draw(st.lists(st.sampled_from([0, 1, 100, 4095]), min_size=1, max_size=2)))
    if kind == "other":
        etype = draw(st.sampled_from([P.ETH_P_ARP, 0x88B5, 0x0000, 0xFFFF, 0x0800 ^ 0x0100]))
        body = draw(st.binary(max_size=max_payload))
        frame = P.ethernet(body, ethertype=etype, vlans=tags)
        recipe = f"ethertype {etype:#06x}" + (f" vlans {list(tags)}" if tags else "")
        return Packet(_at_least(frame, min_length), recipe)
    v6 = kind == "ipv6"
    proto = draw(st.sampled_from(list(l4)))
    src = draw(_v6(addresses) if v6 else _v4(addresses))
    dst = draw(_v6(addresses) if v6 else _v4(addresses))
    payload = draw(_payload(max_payload))
    sport, dport = draw(_port(ports)), draw(_port(ports))
    notes: list[str] = []
    if proto == "udp":
        seg = P.udp(payload, sport=sport, dport=dport)
    elif proto == "tcp":
        opts = b""
        if draw(st.integers(0, 3)) == 3:
            opts = b"".join(draw(st.lists(st.sampled_from(_TCP_OPTIONS), min_size=1, max_size=3)))
            notes.append(f"tcp options {len(opts)}B")
        flags = draw(st.sampled_from([P.SYN, P.ACK, P.SYN | P.ACK, P.PSH | P.ACK, P.FIN | P.ACK,
                                      P.RST, 0, 0x1FF]))
        seg = P.tcp(payload, sport=sport, dport=dport, flags=flags, options=opts)
    else:
        itype = draw(st.sampled_from([128, 129, 1, 135] if v6 else [8, 0, 3, 11]))
        seg = P.icmp(payload, type=itype, v6=v6)
        sport = dport = 0
    if v6:
        ext: tuple[tuple[int, bytes], ...] = ()
        if draw(st.integers(0, 4)) == 4:
            htype = draw(st.sampled_from([0, 60, P.IPV6_FRAGMENT]))
            body = bytes(4)
            if htype == P.IPV6_FRAGMENT:  # offset 0 with M (the first piece), or offset 8
                first = draw(st.booleans())
                body = b"\x00\x01\x00\x00\x00\x01" if first else b"\x00\x08\x00\x00\x00\x01"
                notes.append(f"fragment offset {0 if first else 8}" + (" MF" if first else ""))
            else:
                notes.append("hop-by-hop" if htype == 0 else "dest options")
            ext = ((htype, body),)
        ip = P.ipv6(seg, src=src, dst=dst, ext=ext, hop_limit=draw(st.sampled_from([64, 1, 0, 255])))
    else:
        options = b""
        if draw(st.integers(0, 4)) == 4:
            options = b"".join(draw(st.lists(st.sampled_from(_IP_OPTIONS), min_size=1, max_size=3)))
            notes.append(f"ip options {len(options) + (-len(options) % 4)}B")
        frag, flags = 0, P.IP_DF
        if draw(st.integers(0, 5)) == 5:
            frag, flags = draw(st.sampled_from([(0, P.IP_MF), (1, P.IP_MF), (185, 0)]))
            notes.append(f"fragment offset {frag * 8}" + (" MF" if flags & P.IP_MF else ""))
        ip = P.ipv4(seg, src=src, dst=dst, options=options, frag=frag, flags=flags,
                    ttl=draw(st.sampled_from([64, 1, 0, 255])))
    frame = P.ethernet(ip, vlans=tags)
    if draw(st.integers(0, 7)) == 7:
        frame = frame.ljust(60, b"\0")  # Ethernet padding after the IP packet: still valid
        notes.append("padded to 60")
    where = f"[{src}]:{sport}" if v6 else f"{src}:{sport}"
    to = f"[{dst}]:{dport}" if v6 else f"{dst}:{dport}"
    recipe = f"{kind}/{proto} {where} -> {to} payload {len(payload)}"
    if tags:
        recipe += f" vlans {list(tags)}"
    if corrupt and draw(st.integers(0, 3)) == 3:
        frame, how = _corrupt(draw, frame, v6, proto, len(tags), min_length)
        notes.append(how)
    if notes:
        recipe += ", " + ", ".join(notes)
    return Packet(_at_least(frame, min_length), recipe)


def _at_least(frame: bytes, n: int) -> bytes:
    return frame if len(frame) >= n else frame.ljust(n, b"\0")


def _corrupt(draw: st.DrawFn, frame: bytes, v6: bool, proto: str, ntags: int,
             min_length: int) -> tuple[bytes, str]:
    how = draw(st.sampled_from(CORRUPTIONS))
    l3 = P.ETH_HLEN + 4 * ntags
    data = bytearray(frame)
    if how == "truncate":
        bounds = [b + 4 * ntags for b in (_V6_BOUNDS if v6 else _V4_BOUNDS)]
        cut = draw(st.one_of(
            st.sampled_from(bounds).flatmap(lambda b: st.sampled_from([b - 1, b, b + 1])),
            st.integers(min_length, max(min_length, len(frame)))))
        cut = max(min_length, min(cut, len(frame)))
        return bytes(data[:cut]), f"truncated to {cut}"
    if how == "ip_version":
        data[l3] = (data[l3] & 0x0F) | ((4 if v6 else 6) << 4)
        return bytes(data), "wrong IP version"
    if how == "bad_checksum":
        if v6:
            return bytes(data), "checksum ok (IPv6 has none)"
        data[l3 + 10] ^= 0xFF
        return bytes(data), "bad IPv4 checksum"
    if how in ("ip_len_long", "ip_len_short"):
        delta = draw(st.sampled_from([1, 2, 8, 100])) * (1 if how == "ip_len_long" else -1)
        at = l3 + 4 if v6 else l3 + 2
        old = int.from_bytes(data[at:at + 2], "big")
        data[at:at + 2] = ((old + delta) & 0xFFFF).to_bytes(2, "big")
        return bytes(data), f"{'payload_len' if v6 else 'tot_len'} {delta:+d}"
    if how in ("ihl_small", "ihl_large"):
        if v6:
            return bytes(data), "IHL n/a (IPv6)"
        ihl = draw(st.sampled_from([0, 1, 4]) if how == "ihl_small" else st.sampled_from([6, 15]))
        data[l3] = (data[l3] & 0xF0) | ihl
        return bytes(data), f"IHL {ihl}"
    l4 = l3 + (40 if v6 else (data[l3] & 0xF) * 4)
    if how == "l4_len" and proto == "udp" and l4 + 8 <= len(data):
        bad = draw(st.sampled_from([0, 7, 9, 0xFFFF]))
        data[l4 + 4:l4 + 6] = bad.to_bytes(2, "big")
        return bytes(data), f"UDP length {bad}"
    if how == "tcp_doff" and proto == "tcp" and l4 + 20 <= len(data):
        doff = draw(st.sampled_from([0, 4, 15]))
        data[l4 + 12] = (data[l4 + 12] & 0x0F) | (doff << 4)
        return bytes(data), f"TCP data offset {doff}"
    return bytes(data), "not corrupted"


def xdp_packets(**kw: object) -> st.SearchStrategy[Packet]:
    """Frames for XDP programs (`packets` with its defaults; at least 14 bytes)."""
    return packets(**kw)  # type: ignore[arg-type]  # the same keywords as packets()


def tc_packets(**kw: object) -> st.SearchStrategy[Packet]:
    """Frames for tc (``sched_cls``) programs: the skb starts at the Ethernet header."""
    return packets(**kw)  # type: ignore[arg-type]  # the same keywords as packets()


def socket_packets(**kw: object) -> st.SearchStrategy[Packet]:
    """Frames for socket filters: the program sees them from the network header on
    (``LD_ABS`` offsets count from there, as in ``BPF_PROG_TEST_RUN``)."""
    return packets(**kw)  # type: ignore[arg-type]  # the same keywords as packets()
