# type: socket_filter
# expect: reject
# class: helper_arg_type
# insn: 4
# message: R1 type=scalar expected=map_ptr
# about: bpf_map_lookup_elem gets a number instead of a map in R1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = 1
call bpf_map_lookup_elem
r0 = 0
exit
