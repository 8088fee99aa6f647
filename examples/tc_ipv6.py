"""tc (a tcx ingress link): drop IPv6 UDP packets to one port, counting drops by source.

    PYBPF_TC_IFACE=eth0 PYBPF_TC_PORT=9999 pybpf probe examples/tc_ipv6.py --duration 30
"""

import ipaddress
import os

from pybpf.dsl import HashMap, probe, u8, u64
from pybpf.dsl.net import (
    ETH_HLEN,
    ETH_P_IPV6,
    IPPROTO_UDP,
    IPV6_HLEN,
    TC_ACT_OK,
    TC_ACT_SHOT,
    EthHdr,
    Ipv6Hdr,
    UdpHdr,
    header,
)

PORT = int(os.environ.get("PYBPF_TC_PORT", "9999"))
drops = HashMap(u8[16], u64, max_entries=1024)  # IPv6 source address -> packets dropped


@probe("tc", iface=os.environ.get("PYBPF_TC_IFACE", "lo"))
def drop_udp6(ctx):
    eth = header(ctx, EthHdr, 0)
    if eth is None or eth.proto != ETH_P_IPV6:
        return TC_ACT_OK
    ip6 = header(ctx, Ipv6Hdr, ETH_HLEN)
    if ip6 is None or ip6.nexthdr != IPPROTO_UDP:
        return TC_ACT_OK
    udp = header(ctx, UdpHdr, ETH_HLEN + IPV6_HLEN)
    if udp is None or udp.dest != PORT:
        return TC_ACT_OK
    drops[ip6.saddr] += 1
    return TC_ACT_SHOT


def report(emit):
    for addr, n in drops.items():
        emit({"saddr": str(ipaddress.IPv6Address(bytes(addr))), "dropped": n})
