# type: xdp
# expect: accept
# about: after bpf_xdp_adjust_head the pointers are reloaded and checked again
r6 = r1
r2 = -4
call bpf_xdp_adjust_head
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 4
if r4 > r3 goto out
*(u32 *)(r2 + 0) = 0
out:
r0 = 2
exit
