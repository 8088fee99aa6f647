# type: socket_filter
# expect: accept
# about: an s8 value (sign-extended) plus 128 indexes a 256-byte map value
.map m array key=4 value=256 max_entries=1
call bpf_get_prandom_u32
r6 = r0
r6 = (s8) r6
r6 += 128
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += r6
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
