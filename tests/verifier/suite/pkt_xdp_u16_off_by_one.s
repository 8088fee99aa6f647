# type: xdp
# expect: reject
# class: packet_oob
# insn: 5
# message: invalid access to packet, off=13 size=2, R2(id=0,off=13,r=14)
# message: R2 offset is outside of the packet
# about: 14 bytes were checked, a u16 at 13 is read
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u16 *)(r2 + 13)
out:
r0 = 2
exit
