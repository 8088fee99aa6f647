# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=44 size=4
# about: cgroup_skb may not write tc_index
r2 = 1
*(u32 *)(r1 + 44) = r2
r0 = 1
exit
