"""XDP: drop UDP packets to one port, counting drops per source address.

    PYBPF_XDP_IFACE=eth0 PYBPF_XDP_PORT=9999 pybpf probe examples/xdp_drop.py --duration 30
"""

import os
import socket
import struct

from pybpf.dsl import XDP_DROP, XDP_PASS, HashMap, probe, u32, u64
from pybpf.dsl.net import ETH_HLEN, ETH_P_IP, IPPROTO_UDP, EthHdr, IpHdr, UdpHdr, header

PORT = int(os.environ.get("PYBPF_XDP_PORT", "9999"))
drops = HashMap(u32, u64, max_entries=1024)  # source IPv4 address (host order) -> packets


@probe("xdp", iface=os.environ.get("PYBPF_XDP_IFACE", "lo"))
def drop_udp_port(ctx):
    eth = header(ctx, EthHdr, 0)
    if eth is None or eth.proto != ETH_P_IP:
        return XDP_PASS
    ip = header(ctx, IpHdr, ETH_HLEN)
    if ip is None or ip.protocol != IPPROTO_UDP or ip.ver_ihl != 0x45:
        return XDP_PASS
    udp = header(ctx, UdpHdr, ETH_HLEN + 20)
    if udp is None or udp.dest != PORT:
        return XDP_PASS
    drops[ip.saddr] += 1
    return XDP_DROP


def report(emit):
    for addr, n in drops.items():
        emit({"saddr": socket.inet_ntoa(struct.pack(">I", addr)), "dropped": n})
