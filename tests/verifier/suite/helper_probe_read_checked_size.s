# type: tracepoint
# expect: accept
# about: a size compared with 16 first is a bounded size for a 16-byte buffer
call bpf_get_prandom_u32
r2 = r0
if r2 > 16 goto out
r1 = r10
r1 += -16
r3 = 0
call bpf_probe_read_kernel
out:
r0 = 0
exit
