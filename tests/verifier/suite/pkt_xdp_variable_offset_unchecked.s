# type: xdp
# expect: reject
# class: packet_oob
# insn: 9
# message: invalid access to packet, off=0 size=1, R6(id=1,off=0,r=0)
# message: R6 offset is outside of the packet
# about: a variable offset is added after the check
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r6 = r2
r5 = *(u32 *)(r1 + 12)
r5 &= 0xff
r6 += r5
r0 = *(u8 *)(r6 + 0)
out:
r0 = 2
exit
