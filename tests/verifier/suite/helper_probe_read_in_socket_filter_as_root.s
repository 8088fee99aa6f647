# type: socket_filter
# expect: accept
# about: on 6.18 bpf_probe_read_kernel is a base helper for privileged loaders: socket filters may call it
r1 = r10
r1 += -8
r2 = 8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
