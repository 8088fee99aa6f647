# type: socket_filter
# expect: reject
# class: jump_into_lddw
# insn: 2
# message: jump into the middle of ldimm64 insn 2
# about: a jump into the second half of a 16-byte lddw
r0 = 0
if r1 == 0 goto +1
r0 = 0x100000000 ll
exit
