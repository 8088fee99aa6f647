# type: socket_filter
# expect: reject
# class: unreachable_insn
# insn: 2
# message: unreachable insn 2
# about: an instruction after the final exit can never run
r0 = 0
exit
r0 = 1
exit
