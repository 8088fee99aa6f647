# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: accept
# about: sock_create programs may set bound_dev_if, mark and priority
r2 = 1
*(u32 *)(r1 + 0) = r2
*(u32 *)(r1 + 16) = r2
*(u32 *)(r1 + 20) = r2
r0 = 1
exit
