# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: reject
# class: return_pointer
# insn: 1
# message: At program exit the register R0 is not a known value (ctx)
# about: a cgroup_sock program returns its context pointer
r0 = r1
exit
