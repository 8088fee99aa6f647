# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 0
# message: invalid write to stack R10 off=8 size=8
# about: a stack store above the frame pointer (r10+8)
*(u64 *)(r10 + 8) = 1
r0 = 0
exit
