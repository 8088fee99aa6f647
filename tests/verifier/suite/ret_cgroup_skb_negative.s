# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: reject
# class: return_range
# insn: 1
# message: At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 1]
# about: -1 is not a valid cgroup_skb verdict
r0 = -1
exit
