# a socket filter that keeps the first (len / 2) bytes, computed with cpu v4's signed division
r6 = r1
r0 = *(u32 *)(r6 + 0)
r0 s/= 2
exit
