# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: reject
# class: return_range
# insn: 1
# message: At program exit the register R0 has unknown scalar value should have been in [0, 1]
# about: an unknown random value is not a valid cgroup_skb verdict
call bpf_get_prandom_u32
exit
