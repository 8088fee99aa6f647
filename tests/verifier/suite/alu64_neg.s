# type: socket_filter
# expect: accept
# about: 64-bit negation of an unknown scalar
call bpf_get_prandom_u32
r0 = -r0
exit
