# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: accept
# about: cgroup_sock returns 0 (deny)
r0 = 0
exit
