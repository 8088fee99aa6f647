# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: accept
# about: cgroup_skb ingress returns 1 (allow)
r0 = 1
exit
