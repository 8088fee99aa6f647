# type: xdp
# expect: accept
# about: XDP reads 8 bytes at 6 after checking 14 bytes
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u64 *)(r2 + 6)
out:
r0 = 2
exit
