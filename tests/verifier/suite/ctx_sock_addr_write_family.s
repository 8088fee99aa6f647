# type: cgroup_sock_addr
# attach: cgroup_inet4_connect
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=28 size=4
# about: bpf_sock_addr.family is read-only
r2 = 2
*(u32 *)(r1 + 28) = r2
r0 = 1
exit
