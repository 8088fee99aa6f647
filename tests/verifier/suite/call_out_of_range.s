# type: socket_filter
# expect: reject
# class: jump_out_of_range
# insn: none
# message: call to invalid destination
# about: a call to an instruction outside the program
call pc+10
r0 = 0
exit
