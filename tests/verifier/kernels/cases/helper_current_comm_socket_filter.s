# type: socket_filter
# expect: accept
# about: bpf_get_current_comm in a socket filter: available there only on the newer kernels
r1 = r10
r1 += -16
r2 = 16
call bpf_get_current_comm
r0 = 0
exit
