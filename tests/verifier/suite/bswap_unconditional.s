# type: socket_filter
# expect: accept
# about: unconditional byte swaps of 16, 32 and 64 bits (cpu v4)
call bpf_get_prandom_u32
r1 = r0
r1 = bswap16 r1
r2 = r0
r2 = bswap32 r2
r0 = bswap64 r0
r0 ^= r1
r0 ^= r2
exit
