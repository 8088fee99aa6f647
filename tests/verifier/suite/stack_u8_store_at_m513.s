# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 0
# message: invalid write to stack R10 off=-513 size=1
# about: a stack store one byte below the frame (r10-513)
*(u8 *)(r10 - 513) = 1
r0 = 0
exit
