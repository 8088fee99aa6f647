# type: socket_filter
# expect: reject
# class: pointer_arith_prohibited
# insn: 1
# message: R1 pointer arithmetic with *= operator prohibited
# about: `*=` on a stack pointer is prohibited
r1 = r10
r1 *= 2
r0 = 0
exit
