# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: accept
# about: sock_create programs read family, type and protocol
r2 = *(u32 *)(r1 + 4)
r3 = *(u32 *)(r1 + 8)
r4 = *(u32 *)(r1 + 12)
r0 = 1
exit
