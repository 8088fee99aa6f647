# type: socket_filter
# expect: reject
# class: missing_exit
# insn: none
# message: last insn is not an exit or jmp
# about: the program ends with an ALU instruction
r0 = 0
r0 += 1
