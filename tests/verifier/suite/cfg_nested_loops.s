# type: socket_filter
# expect: accept
# about: two nested bounded loops (4 x 4 iterations)
r0 = 0
r1 = 0
outer:
r2 = 0
inner:
r0 += 1
r2 += 1
if r2 < 4 goto inner
r1 += 1
if r1 < 4 goto outer
exit
