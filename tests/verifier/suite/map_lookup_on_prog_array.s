# type: socket_filter
# expect: reject
# class: helper_map_mismatch
# insn: 5
# message: cannot pass map_type 3 into func bpf_map_lookup_elem#1
# about: bpf_map_lookup_elem cannot be used on a program array
.map progs prog_array key=4 value=4 max_entries=4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = progs ll
call bpf_map_lookup_elem
r0 = 0
exit
