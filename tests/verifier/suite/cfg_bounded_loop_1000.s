# type: socket_filter
# expect: accept
# about: a loop of 1,000 iterations stays far below the complexity limit
r0 = 0
r1 = 0
loop:
r0 += 3
r1 += 1
if r1 < 1000 goto loop
exit
