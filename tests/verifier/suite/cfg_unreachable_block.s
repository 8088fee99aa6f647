# type: socket_filter
# expect: reject
# class: unreachable_insn
# insn: 3
# message: unreachable insn 3
# about: a block after an exit that no jump targets
r0 = 0
if r1 == 0 goto out
exit
r0 = 2
r0 += 1
out:
exit
