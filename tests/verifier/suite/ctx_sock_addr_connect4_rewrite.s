# type: cgroup_sock_addr
# attach: cgroup_inet4_connect
# expect: accept
# about: connect4 programs read and rewrite user_ip4 and user_port
r2 = *(u32 *)(r1 + 4)
*(u32 *)(r1 + 4) = r2
r3 = *(u32 *)(r1 + 24)
*(u32 *)(r1 + 24) = r3
r0 = 1
exit
