# type: socket_filter
# expect: reject
# class: bad_pointer_deref
# insn: 2
# message: struct bpf_map doesn't have field at offset 36
# about: struct bpf_map has no field starting at offset 36
.map m hash key=4 value=8 max_entries=16
r1 = m ll
r0 = *(u32 *)(r1 + 36)
exit
