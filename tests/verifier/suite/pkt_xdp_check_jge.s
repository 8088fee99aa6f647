# type: xdp
# expect: accept
# about: `if data_end >= data + 14 goto ok` guards the access
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r3 >= r4 goto ok
goto out
ok:
r0 = *(u8 *)(r2 + 13)
out:
r0 = 2
exit
