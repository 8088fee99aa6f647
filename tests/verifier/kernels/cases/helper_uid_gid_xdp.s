# type: xdp
# expect: accept
# about: bpf_get_current_uid_gid in XDP: available there only on the newer kernels
call bpf_get_current_uid_gid
r0 = 2
exit
