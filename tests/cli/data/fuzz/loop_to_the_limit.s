r0 = 0
r1 = 10
loop:
r0 += r1
if r1 != 0 goto loop
exit
