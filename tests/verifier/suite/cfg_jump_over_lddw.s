# type: socket_filter
# expect: accept
# about: a jump over a whole lddw lands on the next instruction
r0 = 0
if r1 == 0 goto +2
r0 = 0x100000000 ll
exit
