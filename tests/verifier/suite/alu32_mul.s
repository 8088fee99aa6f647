# type: socket_filter
# expect: accept
# about: 32-bit mul with an immediate and with a register operand
call bpf_get_prandom_u32
w6 = w0
w6 *= 3
w7 = 5
w6 *= w7
w0 = w6
exit
