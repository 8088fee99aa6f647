# type: socket_filter
# expect: reject
# class: invalid_insn
# insn: none
# message: unknown opcode 8d
# about: an indirect call through a register (callx) is not supported
r1 = 0
callx r1
r0 = 0
exit
