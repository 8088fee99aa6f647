# type: xdp
# expect: reject
# class: packet_oob
# insn: 1
# message: invalid access to packet, off=0 size=4, R4(id=0,off=0,r=0)
# message: R4 offset is outside of the packet
# about: XDP reads metadata without checking it against data
r4 = *(u32 *)(r1 + 8)
r0 = *(u32 *)(r4 + 0)
r0 = 2
exit
