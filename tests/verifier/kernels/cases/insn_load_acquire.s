# type: socket_filter
# expect: accept
# about: a load-acquire from the stack (6.15+)
*(u64 *)(r10 - 8) = 7
r0 = load_acquire((u64 *)(r10 - 8))
r0 = 0
exit
