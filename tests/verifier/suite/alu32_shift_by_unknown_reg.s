# type: socket_filter
# expect: accept
# about: a shift by a register of unknown value is allowed (masked at run time)
call bpf_get_prandom_u32
w1 = w0
w0 = 1
w0 <<= w1
w0 >>= w1
exit
