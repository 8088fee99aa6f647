# type: socket_filter
# expect: reject
# class: jump_into_lddw
# insn: 0
# message: jump into the middle of ldimm64 insn 0
# about: a backward jump into the second half of an lddw
r0 = 0x100000000 ll
if r1 == 0 goto -2
exit
