# type: socket_filter
# expect: reject
# class: invalid_shift
# insn: 1
# message: invalid shift -1
# about: a shift by a negative constant is out of range
r0 = 1
r0 <<= -1
exit
