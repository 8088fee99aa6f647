# type: xdp
# expect: accept
# about: XDP reads 4 bytes of metadata after checking data_meta + 4 <= data
r2 = *(u32 *)(r1 + 0)
r4 = *(u32 *)(r1 + 8)
r5 = r4
r5 += 4
if r5 > r2 goto out
r0 = *(u32 *)(r4 + 0)
out:
r0 = 2
exit
