# type: socket_filter
# expect: reject
# class: jump_out_of_range
# insn: 1
# message: jump out of range from insn 1 to 7
# about: a jump past the end of the program
r0 = 0
goto +5
exit
