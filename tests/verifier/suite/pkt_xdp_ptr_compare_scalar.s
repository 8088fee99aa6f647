# type: xdp
# expect: reject
# class: packet_oob
# insn: 5
# message: invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)
# message: R2 offset is outside of the packet
# about: comparing data with a number does not bound the packet
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > 1000 goto out
r0 = *(u8 *)(r2 + 0)
out:
r0 = 2
exit
