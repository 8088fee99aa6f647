# type: socket_filter
# expect: reject
# class: infinite_loop
# insn: 2
# message: infinite loop detected at insn 2
# about: a loop whose counter never changes
r0 = 0
r1 = 0
loop:
if r1 > 10 goto out
goto loop
out:
exit
