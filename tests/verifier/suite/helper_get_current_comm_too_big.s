# type: tracepoint
# expect: reject
# class: helper_mem_access
# insn: 3
# message: invalid write to stack R1 off=-16 size=32
# about: bpf_get_current_comm with size 32 for a 16-byte buffer
r1 = r10
r1 += -16
r2 = 32
call bpf_get_current_comm
r0 = 0
exit
