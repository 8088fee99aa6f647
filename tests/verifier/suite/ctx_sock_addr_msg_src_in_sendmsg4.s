# type: cgroup_sock_addr
# attach: cgroup_udp4_sendmsg
# expect: accept
# about: a udp4 sendmsg program reads msg_src_ip4
r0 = *(u32 *)(r1 + 40)
r0 = 1
exit
