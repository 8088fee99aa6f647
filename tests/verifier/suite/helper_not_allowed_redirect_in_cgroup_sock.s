# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: reject
# class: helper_not_allowed
# insn: 2
# message: program of this type cannot use helper bpf_redirect#23
# about: cgroup sock programs cannot call bpf_redirect
r1 = 1
r2 = 0
call bpf_redirect
r0 = 1
exit
