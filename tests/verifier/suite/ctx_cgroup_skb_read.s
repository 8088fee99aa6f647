# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: accept
# about: cgroup_skb reads len, protocol and the data pointers
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 76)
r4 = *(u32 *)(r1 + 80)
r0 = 1
exit
