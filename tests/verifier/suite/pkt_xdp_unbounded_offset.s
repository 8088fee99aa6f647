# type: xdp
# expect: reject
# class: unbounded_pointer_math
# insn: 4
# message: math between pkt pointer and register with unbounded min value is not allowed
# about: a full 64-bit random offset added to a packet pointer
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r6 = r2
call bpf_get_prandom_u32
r6 += r0
r0 = 2
exit
