# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 0
# message: invalid read from stack R10 off=-520 size=8
# about: a stack load at r10-520 is outside the frame
r0 = *(u64 *)(r10 - 520)
exit
