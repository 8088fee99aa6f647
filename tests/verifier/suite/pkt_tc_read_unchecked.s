# type: sched_cls
# expect: reject
# class: packet_oob
# insn: 2
# message: invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)
# message: R2 offset is outside of the packet
# about: tc reads packet data without a check
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r0 = *(u8 *)(r2 + 0)
r0 = 0
exit
