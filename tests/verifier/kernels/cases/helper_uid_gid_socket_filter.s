# type: socket_filter
# expect: accept
# about: bpf_get_current_uid_gid in a socket filter: available there only on the newer kernels
call bpf_get_current_uid_gid
r0 = 0
exit
