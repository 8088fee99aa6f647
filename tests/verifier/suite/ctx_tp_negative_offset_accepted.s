# type: tracepoint
# expect: accept
# about: surprise: a u64 read at r1-8 in a tracepoint program is accepted by 6.18
r0 = *(u64 *)(r1 - 8)
r0 = 0
exit
