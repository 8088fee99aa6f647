# type: socket_filter
# expect: reject
# class: infinite_loop
# insn: 2
# message: infinite loop detected at insn 2
# about: `goto -1` jumps to itself forever on one branch
r0 = 0
if r1 == 0 goto +1
goto -1
exit
