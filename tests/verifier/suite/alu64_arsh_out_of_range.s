# type: socket_filter
# expect: reject
# class: invalid_shift
# insn: 1
# message: invalid shift 64
# about: a 64-bit arsh by the constant 64 is out of range
r0 = 1
r0 s>>= 64
exit
