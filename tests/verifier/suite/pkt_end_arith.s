# type: xdp
# expect: reject
# class: pointer_arith_prohibited
# insn: 2
# message: R3 pointer arithmetic on pkt_end prohibited
# about: arithmetic on data_end is prohibited
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r3 += 1
r0 = 2
exit
