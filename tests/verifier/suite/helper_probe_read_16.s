# type: tracepoint
# expect: accept
# about: bpf_probe_read_kernel into a 16-byte stack buffer with size 16
r6 = r1
r2 = 16
r1 = r10
r1 += -16
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
