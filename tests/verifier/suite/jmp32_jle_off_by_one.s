# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 12
# message: invalid access to map value, value_size=64 off=64 size=1
# message: R0 max value is outside of the allowed memory range
# about: a 32-bit `<=` against 64 (off by one) lets the index reach byte 64 of a 64-byte value
.map m array key=4 value=64 max_entries=1
call bpf_get_prandom_u32
w6 = w0
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
if w6 <= 64 goto ok
goto out
ok:
r0 += r6
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
