# type: cgroup_sock_addr
# attach: cgroup_inet4_connect
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=40 size=4
# about: msg_src_ip4 exists only for sendmsg programs
r0 = *(u32 *)(r1 + 40)
r0 = 1
exit
