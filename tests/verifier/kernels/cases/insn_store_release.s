# type: socket_filter
# expect: accept
# about: a store-release to the stack (6.15+)
r1 = 7
store_release((u64 *)(r10 - 8), r1)
r0 = 0
exit
