# type: xdp
# expect: reject
# class: bad_pointer_deref
# insn: 2
# message: R3 invalid mem access 'pkt_end'
# about: data_end itself cannot be dereferenced
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r0 = *(u8 *)(r3 + 0)
r0 = 2
exit
