# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 0
# message: invalid write to stack R10 off=0 size=8
# about: a stack store at the frame pointer itself (r10+0)
*(u64 *)(r10 + 0) = 1
r0 = 0
exit
