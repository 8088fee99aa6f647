# type: tracepoint
# expect: accept
# about: bpf_probe_read_kernel_str into a 16-byte stack buffer
r1 = r10
r1 += -16
r2 = 16
r3 = 0
call bpf_probe_read_kernel_str
r0 = 0
exit
