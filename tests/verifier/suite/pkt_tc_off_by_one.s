# type: sched_cls
# expect: reject
# class: packet_oob
# insn: 5
# message: invalid access to packet, off=12 size=4, R2(id=0,off=12,r=14)
# message: R2 offset is outside of the packet
# about: tc checks 14 bytes and reads a u32 at 12
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u32 *)(r2 + 12)
out:
r0 = 0
exit
