# type: lwt_in
# expect: accept
# about: lwt_in programs read the packet after a check
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 4
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 0)
out:
r0 = 0
exit
