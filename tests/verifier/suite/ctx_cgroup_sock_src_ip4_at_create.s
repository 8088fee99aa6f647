# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=24 size=4
# about: src_ip4 is only readable after bind (post_bind), not at socket creation
r0 = *(u32 *)(r1 + 24)
r0 = 1
exit
