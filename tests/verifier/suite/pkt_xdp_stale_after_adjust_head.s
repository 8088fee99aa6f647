# type: xdp
# expect: reject
# class: scalar_deref
# insn: 10
# message: R7 invalid mem access 'scalar'
# about: packet pointers are invalidated by bpf_xdp_adjust_head
r6 = r1
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto out
r1 = r6
r7 = r2
r2 = -4
call bpf_xdp_adjust_head
r0 = *(u32 *)(r7 + 0)
out:
r0 = 2
exit
