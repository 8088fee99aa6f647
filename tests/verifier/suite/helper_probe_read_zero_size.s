# type: tracepoint
# expect: accept
# about: size 0 is allowed for bpf_probe_read_kernel (ARG_CONST_SIZE_OR_ZERO)
r6 = r1
r2 = 0
r1 = r10
r1 += -8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
