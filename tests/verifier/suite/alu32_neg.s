# type: socket_filter
# expect: accept
# about: 32-bit negation of an unknown scalar
call bpf_get_prandom_u32
w0 = -w0
exit
