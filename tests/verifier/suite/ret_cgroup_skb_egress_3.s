# type: cgroup_skb
# attach: cgroup_inet_egress
# expect: accept
# about: cgroup_skb egress may also return 2 and 3 (congestion notification)
r0 = 3
exit
