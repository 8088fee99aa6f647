# type: socket_filter
# expect: accept
# about: sign-extending 16-bit move (cpu v4)
call bpf_get_prandom_u32
r0 = (s16)r0
r0 = 0
exit
