# type: socket_filter
# expect: accept
# about: a shift by a register of unknown value is allowed (masked at run time)
call bpf_get_prandom_u32
r1 = r0
r0 = 1
r0 <<= r1
r0 >>= r1
exit
