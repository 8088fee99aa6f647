# type: socket_filter
# expect: reject
# class: jump_out_of_range
# insn: 1
# message: jump out of range from insn 1 to -3
# about: a jump before the start of the program
r0 = 0
goto -5
exit
