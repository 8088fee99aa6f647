# type: socket_filter
# expect: reject
# class: jump_out_of_range
# insn: 1
# message: jump out of range from insn 1 to 12
# about: a conditional jump past the end
r0 = 0
if r1 != 0 goto +10
exit
