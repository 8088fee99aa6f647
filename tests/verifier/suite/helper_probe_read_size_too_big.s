# type: tracepoint
# expect: reject
# class: helper_mem_access
# insn: 5
# message: invalid write to stack R1 off=-8 size=16
# about: size 16 into an 8-byte buffer at the top of the stack
r6 = r1
r2 = 16
r1 = r10
r1 += -8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
