# type: socket_filter
# expect: reject
# class: helper_mem_access
# insn: 5
# message: invalid zero-sized read
# about: bpf_map_lookup_elem on a ring buffer fails on its zero-sized key
.map rb ringbuf key=0 value=0 max_entries=4096
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = rb ll
call bpf_map_lookup_elem
r0 = 0
exit
