# type: cgroup_sock_addr
# attach: cgroup_inet4_connect
# expect: accept
# about: a 1-byte read of user_ip4 is a valid narrow load
r0 = *(u8 *)(r1 + 4)
r0 = 1
exit
