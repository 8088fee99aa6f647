# type: socket_filter
# expect: reject
# class: scalar_deref
# insn: 3
# message: R1 invalid mem access 'scalar'
# about: after one byte of a spilled pointer is overwritten, the fill is a plain number and cannot be dereferenced
*(u64 *)(r10 - 8) = r1
*(u8 *)(r10 - 8) = 0
r1 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r1 + 0)
exit
