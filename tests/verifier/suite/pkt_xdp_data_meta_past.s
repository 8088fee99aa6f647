# type: xdp
# expect: reject
# class: packet_oob
# insn: 5
# message: invalid access to packet, off=0 size=8, R4(id=0,off=0,r=4)
# message: R4 offset is outside of the packet
# about: 4 bytes of metadata were checked, 8 are read
r2 = *(u32 *)(r1 + 0)
r4 = *(u32 *)(r1 + 8)
r5 = r4
r5 += 4
if r5 > r2 goto out
r0 = *(u64 *)(r4 + 0)
out:
r0 = 2
exit
