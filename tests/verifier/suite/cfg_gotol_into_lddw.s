# type: socket_filter
# expect: reject
# class: jump_into_lddw
# insn: 3
# message: jump into the middle of ldimm64 insn 3
# about: a long jump (gotol) into the middle of an lddw
r0 = 0
if r1 == 0 goto +1
gotol +1
r0 = 0x100000000 ll
exit
