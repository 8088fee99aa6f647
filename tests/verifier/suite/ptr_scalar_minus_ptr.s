# type: socket_filter
# expect: reject
# class: pointer_arith_prohibited
# insn: 1
# message: R1 tried to subtract pointer from scalar
# about: subtracting a pointer from a number is prohibited
r1 = 5
r1 -= r10
r0 = 0
exit
