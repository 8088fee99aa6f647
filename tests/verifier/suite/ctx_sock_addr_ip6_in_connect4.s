# type: cgroup_sock_addr
# attach: cgroup_inet4_connect
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=8 size=4
# about: a connect4 program cannot read user_ip6
r0 = *(u32 *)(r1 + 8)
r0 = 1
exit
