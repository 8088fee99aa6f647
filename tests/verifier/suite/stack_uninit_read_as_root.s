# type: socket_filter
# expect: accept
# about: reading stack never written is allowed for privileged programs (root may read uninitialised stack)
r0 = *(u64 *)(r10 - 16)
exit
