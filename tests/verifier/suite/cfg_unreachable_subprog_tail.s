# type: socket_filter
# expect: reject
# class: unreachable_insn
# insn: 4
# message: unreachable insn 4
# about: code after a subprogram's exit
call f
exit
f:
r0 = 1
exit
r0 = 2
exit
