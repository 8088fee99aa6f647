# type: socket_filter
# expect: reject
# class: invalid_shift
# insn: 1
# message: invalid shift 100
# about: a 64-bit right shift by 100 is out of range
r0 = 1
r0 >>= 100
exit
