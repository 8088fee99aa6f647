# type: socket_filter
# expect: accept
# about: the context pointer spilled to the stack and filled back is still the context
*(u64 *)(r10 - 8) = r1
call bpf_get_prandom_u32
r1 = *(u64 *)(r10 - 8)
r0 = *(u32 *)(r1 + 0)
exit
