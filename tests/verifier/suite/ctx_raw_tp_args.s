# type: raw_tracepoint
# expect: accept
# about: raw tracepoint programs read args[0] and args[1] as u64
r2 = *(u64 *)(r1 + 0)
r0 = *(u64 *)(r1 + 8)
r0 = 0
exit
