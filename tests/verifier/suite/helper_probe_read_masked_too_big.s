# type: tracepoint
# expect: reject
# class: helper_mem_access
# insn: 7
# message: invalid write to stack R1 off=-8 size=15
# about: a size masked to 0..15 for an 8-byte buffer
r6 = r1
call bpf_get_prandom_u32
r2 = r0
r2 &= 15
r1 = r10
r1 += -8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
