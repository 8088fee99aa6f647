# type: xdp
# expect: accept
# about: a bounded variable offset added to data, then checked against data_end
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r6 = r2
r7 = r3
call bpf_get_prandom_u32
r0 &= 0xff
r6 += r0
r5 = r6
r5 += 1
if r5 > r7 goto out
r0 = *(u8 *)(r6 + 0)
out:
r0 = 2
exit
