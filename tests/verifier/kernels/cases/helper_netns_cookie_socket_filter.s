# type: socket_filter
# expect: accept
# about: bpf_get_netns_cookie(ctx) in a socket filter: available there only on the newer kernels
call bpf_get_netns_cookie
r0 = 0
exit
