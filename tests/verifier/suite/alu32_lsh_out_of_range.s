# type: socket_filter
# expect: reject
# class: invalid_shift
# insn: 1
# message: invalid shift 32
# about: a 32-bit lsh by the constant 32 is out of range
r0 = 1
w0 <<= 32
exit
