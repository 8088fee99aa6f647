# type: socket_filter
# expect: accept
# about: a loop of 10 iterations is explored to its end
r0 = 0
r1 = 0
loop:
r0 += r1
r1 += 1
if r1 < 10 goto loop
exit
