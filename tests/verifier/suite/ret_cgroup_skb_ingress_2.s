# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: reject
# class: return_range
# insn: 1
# message: At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]
# about: cgroup_skb ingress must return 0 or 1
r0 = 2
exit
