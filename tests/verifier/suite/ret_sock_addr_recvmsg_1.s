# type: cgroup_sock_addr
# attach: cgroup_udp4_recvmsg
# expect: accept
# about: recvmsg4 programs return 1
r0 = 1
exit
