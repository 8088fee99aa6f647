# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 0
# message: invalid write to stack R10 off=-520 size=8
# about: a stack store below the 512-byte frame (r10-520)
*(u64 *)(r10 - 520) = 1
r0 = 0
exit
