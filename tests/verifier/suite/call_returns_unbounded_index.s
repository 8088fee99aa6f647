# type: socket_filter
# expect: reject
# class: unbounded_access
# insn: 10
# message: R0 unbounded memory access, make sure to bounds check any such access
# about: a subprogram's return value is used as an index without a check
.map m array key=4 value=64 max_entries=1
call f
r6 = r0
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
f:
call bpf_get_prandom_u32
w0 = w0
exit
