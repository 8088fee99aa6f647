# type: socket_filter
# expect: reject
# class: pointer_arith_prohibited
# insn: 1
# message: R1 pointer += pointer prohibited
# about: adding two pointers is prohibited
r1 = r10
r1 += r10
r0 = 0
exit
