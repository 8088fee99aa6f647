# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: accept
# about: a random value masked to one bit is a valid cgroup_skb verdict
call bpf_get_prandom_u32
r0 &= 1
exit
