# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: accept
# about: cgroup_skb may read tc_index
r0 = *(u32 *)(r1 + 44)
r0 = 1
exit
