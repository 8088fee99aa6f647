# type: socket_filter
# expect: reject
# class: pointer_32bit
# insn: 1
# message: R1 32-bit pointer arithmetic prohibited
# about: a 32-bit add on a stack pointer
r1 = r10
w1 += 4
r0 = 0
exit
