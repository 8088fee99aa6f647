# type: xdp
# expect: accept
# about: `if data_end > data + 14` proves 15 bytes, minus the strictness: byte 14 is readable
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r3 > r4 goto ok
goto out
ok:
r0 = *(u8 *)(r2 + 14)
out:
r0 = 2
exit
