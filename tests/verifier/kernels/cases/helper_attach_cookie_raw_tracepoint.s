# type: raw_tracepoint
# expect: accept
# about: bpf_get_attach_cookie(ctx) in a raw tracepoint: available there only on the newer kernels
call bpf_get_attach_cookie
r0 = 0
exit
