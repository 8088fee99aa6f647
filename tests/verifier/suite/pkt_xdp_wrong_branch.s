# type: xdp
# expect: reject
# class: packet_oob
# insn: 5
# message: invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)
# message: R2 offset is outside of the packet
# about: the access sits on the branch where the packet is too short
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 <= r3 goto out
r0 = *(u8 *)(r2 + 0)
out:
r0 = 2
exit
