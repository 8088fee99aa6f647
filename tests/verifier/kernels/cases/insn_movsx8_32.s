# type: socket_filter
# expect: accept
# about: sign-extending 8-bit move into a 32-bit register (cpu v4)
call bpf_get_prandom_u32
w0 = (s8)w0
r0 = 0
exit
