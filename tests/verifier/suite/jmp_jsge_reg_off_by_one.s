# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 13
# message: invalid access to map value, value_size=64 off=64 size=1
# message: R0 max value is outside of the allowed memory range
# about: a 64-bit `s>=` against a register holding 65 (off by one) lets the index reach past the value
.map m array key=4 value=64 max_entries=1
call bpf_get_prandom_u32
w6 = w0
w6 &= 0xffff
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r7 = 65
if r6 s>= r7 goto out
r0 += r6
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
