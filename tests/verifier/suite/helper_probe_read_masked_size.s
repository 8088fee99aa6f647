# type: tracepoint
# expect: accept
# about: a size masked to 0..7 is a bounded size for an 8-byte buffer
r6 = r1
call bpf_get_prandom_u32
r2 = r0
r2 &= 7
r1 = r10
r1 += -8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
