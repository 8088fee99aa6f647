# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=4 size=4
# about: bpf_sock.family is read-only
r2 = 2
*(u32 *)(r1 + 4) = r2
r0 = 1
exit
