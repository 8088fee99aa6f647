# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: reject
# class: return_pointer
# insn: 1
# message: At program exit the register R0 is not a known value (fp)
# about: a cgroup_skb program returns the frame pointer
r0 = r10
exit
