# type: socket_filter
# expect: accept
# about: a length in 1..8 for an 8-byte buffer
r6 = r1
call bpf_get_prandom_u32
r4 = r0
r4 &= 7
r4 += 1
r1 = r6
r2 = 0
r3 = r10
r3 += -8
call bpf_skb_load_bytes
r0 = 0
exit
