# type: socket_filter
# expect: reject
# class: infinite_loop
# insn: 1
# message: infinite loop detected at insn 1
# about: a loop whose counter is reset inside the body
r0 = 0
loop:
r1 = 0
r1 += 1
if r1 < 10 goto loop
exit
