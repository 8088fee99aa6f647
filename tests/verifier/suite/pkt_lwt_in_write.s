# type: lwt_in
# expect: reject
# class: packet_write
# insn: 5
# message: cannot write into packet
# about: lwt_in programs cannot write into the packet
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 4
if r4 > r3 goto out
*(u8 *)(r2 + 0) = 0
out:
r0 = 0
exit
