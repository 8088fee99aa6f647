# type: socket_filter
# expect: reject
# class: pointer_32bit
# insn: 1
# message: R1 32-bit pointer arithmetic prohibited
# about: a 32-bit add of a register to the context pointer
r2 = 4
w1 += w2
r0 = 0
exit
