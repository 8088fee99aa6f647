# type: socket_filter
# expect: accept
# about: to-little-endian conversions of 16, 32 and 64 bits
call bpf_get_prandom_u32
r1 = r0
r1 = le16 r1
r2 = r0
r2 = le32 r2
r0 = le64 r0
r0 += r1
r0 += r2
exit
