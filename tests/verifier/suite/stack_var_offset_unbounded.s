# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 5
# message: invalid unbounded variable-offset write to stack R1
# about: a stack offset with a huge variable range
call bpf_get_prandom_u32
w0 = w0
r1 = r10
r1 += -8
r1 += r0
*(u8 *)(r1 + 0) = 0
r0 = 0
exit
