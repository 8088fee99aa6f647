# type: socket_filter
# expect: reject
# class: missing_exit
# insn: none
# message: last insn is not an exit or jmp
# about: a conditional jump is the last instruction
r0 = 0
exit
r0 = 1
if r0 > 0 goto -3
