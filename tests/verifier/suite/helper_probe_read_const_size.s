# type: tracepoint
# expect: accept
# about: bpf_probe_read_kernel into an 8-byte stack buffer with size 8
r6 = r1
r2 = 8
r1 = r10
r1 += -8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
