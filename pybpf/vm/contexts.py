"""Program contexts the VM can build: ``struct xdp_md`` and ``struct __sk_buff``.

The kernel rewrites a program's context loads (``r2 = *(u32 *)(r1 + 0)`` of
``xdp_md->data``) into loads of real pointers. The VM needs no rewriting: it
places the packet at an address below 4 GiB, so the 32-bit ``data`` and
``data_end`` fields of a context it builds hold the packet's real VM addresses,
and the usual bounds-check pattern (``if data + 14 > data_end goto drop``)
works unchanged. Field offsets are the uapi ``<linux/bpf.h>`` layouts.

>>> from pybpf.asm import assemble
>>> from pybpf.vm import VM
>>> prog = assemble("r2 = *(u32 *)(r1 + 0)\\nr3 = *(u32 *)(r1 + 4)\\nr0 = r3\\nr0 -= r2\\nexit")
>>> VM().run(prog, packet=bytes(60), prog_type="xdp").r0
60
"""

from __future__ import annotations

import struct

from ..errors import PybpfError

#: struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex.
XDP_MD = struct.Struct("<6I")
#: struct __sk_buff fields the VM fills (offset, name); the struct is 192 bytes.
SKB_SIZE = 192
SKB_LEN, SKB_PROTOCOL, SKB_IFINDEX, SKB_DATA, SKB_DATA_END = 0, 16, 40, 76, 80
ETH_P_OFFSET = 12  # EtherType in an Ethernet header
ETH_HLEN = 14

#: Program types with a context the VM can build.
CONTEXT_TYPES = ("xdp", "sched_cls", "sched_act", "socket_filter")
#: Program types whose skb starts after the Ethernet header (BPF_PROG_TEST_RUN pulls it
#: for everything but tc): ``len`` and ``LD_ABS`` offsets count from the network header.
L3_TYPES = ("socket_filter",)


def build_context(prog_type: str, data: int, length: int, packet: bytes, *,
                  ifindex: int = 1) -> bytearray:
    """The context of a ``prog_type`` program whose packet is at VM address ``data``."""
    if data + length >= 1 << 32:
        raise PybpfError("packet address does not fit the 32-bit context fields")
    if prog_type == "xdp":
        return bytearray(XDP_MD.pack(data, data + length, data, ifindex, 0, 0))
    if prog_type in ("sched_cls", "sched_act", "socket_filter"):
        ctx = bytearray(SKB_SIZE)
        proto = int.from_bytes(eth_type_trans(packet), "little")  # big endian in memory
        l3 = prog_type in L3_TYPES
        for off, value in ((SKB_LEN, length - ETH_HLEN if l3 else length), (SKB_PROTOCOL, proto),
                           (SKB_IFINDEX, ifindex), (SKB_DATA, data + (ETH_HLEN if l3 else 0)),
                           (SKB_DATA_END, data + length)):
            struct.pack_into("<I", ctx, off, value)
        return ctx
    raise PybpfError(f"the VM cannot build a context for {prog_type!r} programs "
                     f"(it can for {', '.join(CONTEXT_TYPES)}); pass ctx= yourself")


#: The smallest EtherType (below it the field is an 802.3 length), and the protocols
#: the kernel's eth_type_trans() gives such frames.
ETH_P_802_3_MIN = 0x0600
ETH_P_802_3, ETH_P_802_2 = 0x0001, 0x0004


def eth_type_trans(frame: bytes) -> bytes:
    """``skb->protocol`` (network order) of an Ethernet frame, as the kernel's
    ``eth_type_trans`` sets it: the EtherType, or for an 802.3 length field 802.3 (raw
    IPX: the payload starts with ffff) or else 802.2 LLC.

    >>> eth_type_trans(bytes(12) + b"\\x08\\x00").hex(), eth_type_trans(bytes(14)).hex()
    ('0800', '0004')
    """
    if len(frame) < ETH_HLEN:
        return bytes(2)
    proto = frame[ETH_P_OFFSET:ETH_P_OFFSET + 2]
    if int.from_bytes(proto, "big") >= ETH_P_802_3_MIN:
        return proto
    if frame[ETH_HLEN:ETH_HLEN + 2] == b"\xff\xff":
        return ETH_P_802_3.to_bytes(2, "big")
    return ETH_P_802_2.to_bytes(2, "big")


def prog_type_ctx_name(prog_type: str) -> str:
    """The region name of a built context (``xdp_md``, ``__sk_buff``).

    >>> prog_type_ctx_name("xdp")
    'xdp_md'
    """
    return "xdp_md" if prog_type == "xdp" else "__sk_buff"
