# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 2
# message: invalid write to stack R1 off=-600 size=8
# about: a store through a copy of r10 moved 600 bytes down
r1 = r10
r1 += -600
*(u64 *)(r1 + 0) = 0
r0 = 0
exit
