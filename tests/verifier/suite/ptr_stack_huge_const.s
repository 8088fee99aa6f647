# type: socket_filter
# expect: reject
# class: unbounded_pointer_math
# insn: 2
# message: math between fp pointer and 536870912 is not allowed
# about: a constant of 2^29 added to a stack pointer is refused
r1 = r10
r2 = 0x20000000
r1 += r2
r0 = 0
exit
