# type: socket_filter
# expect: accept
# about: bpf_skb_load_bytes of 4 bytes into the stack
r2 = 0
r3 = r10
r3 += -8
r4 = 4
call bpf_skb_load_bytes
r0 = *(u32 *)(r10 - 8)
exit
