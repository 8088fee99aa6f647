# type: socket_filter
# expect: accept
# about: 32-bit sign-extending moves from 8 and 16 bits (cpu v4)
call bpf_get_prandom_u32
w1 = (s8) w0
w2 = (s16) w0
w0 = w1
w0 += w2
exit
