# type: cgroup_skb
# attach: cgroup_inet_egress
# expect: reject
# class: return_range
# insn: 1
# message: At program exit the register R0 has smin=4 smax=4 should have been in [0, 3]
# about: cgroup_skb egress must return 0..3
r0 = 4
exit
