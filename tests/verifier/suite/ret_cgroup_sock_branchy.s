# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: accept
# about: both branches return a value in [0, 1]
r2 = *(u32 *)(r1 + 4)
r0 = 0
if r2 != 2 goto +1
r0 = 1
exit
