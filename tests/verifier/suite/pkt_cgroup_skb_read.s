# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: accept
# about: cgroup_skb reads the packet after a check
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 20
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 9)
out:
r0 = 1
exit
