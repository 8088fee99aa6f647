# type: socket_filter
# expect: accept
# about: a counting-down loop over a stack buffer
r1 = 8
loop:
r2 = r10
r2 += -16
r2 += r1
*(u8 *)(r2 + 0) = 0
r1 += -1
if r1 s> 0 goto loop
r0 = 0
exit
