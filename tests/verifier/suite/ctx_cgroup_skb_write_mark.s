# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: accept
# about: cgroup_skb may write mark and priority
r2 = 1
*(u32 *)(r1 + 8) = r2
*(u32 *)(r1 + 32) = r2
r0 = 1
exit
