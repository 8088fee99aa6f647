# type: cgroup_skb
# attach: cgroup_inet_egress
# expect: reject
# class: packet_write
# insn: 5
# message: cannot write into packet
# about: cgroup_skb egress cannot write a u32 into the packet either
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 4
if r4 > r3 goto out
*(u32 *)(r2 + 0) = 0
out:
r0 = 1
exit
