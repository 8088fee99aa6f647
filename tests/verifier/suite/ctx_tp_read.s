# type: tracepoint
# expect: accept
# about: tracepoint programs read the raw record as u64 at aligned offsets
r2 = *(u64 *)(r1 + 8)
r0 = *(u64 *)(r1 + 16)
r0 = 0
exit
