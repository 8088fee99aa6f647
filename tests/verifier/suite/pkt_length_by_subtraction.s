# type: xdp
# expect: accept
# about: data_end - data is a scalar (the packet length)
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r3 -= r2
r0 = 2
if r3 > 100 goto +1
r0 = 1
exit
