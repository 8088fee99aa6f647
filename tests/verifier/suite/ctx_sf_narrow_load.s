# type: socket_filter
# expect: accept
# about: narrow (1- and 2-byte) loads of __sk_buff.len and protocol
r2 = *(u8 *)(r1 + 0)
r0 = *(u16 *)(r1 + 16)
r0 += r2
exit
