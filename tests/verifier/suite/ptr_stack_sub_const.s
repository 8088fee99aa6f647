# type: socket_filter
# expect: reject
# class: pointer_arith_prohibited
# insn: 1
# message: R1 subtraction from stack pointer prohibited
# about: subtracting a constant from a stack pointer is refused (add a negative constant instead)
r1 = r10
r1 -= 8
r0 = 0
exit
