# type: socket_filter
# expect: reject
# class: pointer_bitwise
# insn: 1
# message: R1 bitwise operator &= on pointer prohibited
# about: `&=` on a stack pointer is prohibited
r1 = r10
r1 &= 0xff
r0 = 0
exit
