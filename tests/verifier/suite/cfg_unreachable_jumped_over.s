# type: socket_filter
# expect: reject
# class: unreachable_insn
# insn: 2
# message: unreachable insn 2
# about: an unconditional jump skips code that nothing else reaches
r0 = 0
goto +1
r0 = 1
exit
