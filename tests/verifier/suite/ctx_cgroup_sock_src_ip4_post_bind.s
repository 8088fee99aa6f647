# type: cgroup_sock
# attach: cgroup_inet4_post_bind
# expect: accept
# about: a post_bind4 program reads src_ip4 and src_port
r2 = *(u32 *)(r1 + 24)
r0 = *(u32 *)(r1 + 44)
r0 = 1
exit
