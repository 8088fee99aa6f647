# type: cgroup_sock_addr
# attach: cgroup_inet4_connect
# expect: accept
# about: connect4 returns 1 (allow)
r0 = 1
exit
