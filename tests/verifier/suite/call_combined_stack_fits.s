# type: socket_filter
# expect: accept
# about: two frames using 256 bytes each fit in 512 bytes
*(u64 *)(r10 - 256) = 0
call f
r0 = 0
exit
f:
*(u64 *)(r10 - 256) = 0
r0 = 0
exit
