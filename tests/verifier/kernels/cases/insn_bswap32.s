# type: socket_filter
# expect: accept
# about: unconditional 32-bit byte swap (cpu v4)
call bpf_get_prandom_u32
r0 = bswap32 r0
r0 = 0
exit
