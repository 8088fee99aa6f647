# type: socket_filter
# expect: reject
# class: helper_mem_access
# insn: 9
# message: invalid read from stack R3 off=-8 size=16
# about: bpf_map_update_elem reads a 16-byte value from an 8-byte slot at the top of the stack
.map m hash key=4 value=16 max_entries=4
*(u32 *)(r10 - 4) = 1
*(u64 *)(r10 - 16) = 42
r1 = m ll
r2 = r10
r2 += -4
r3 = r10
r3 += -8
r4 = 0
call bpf_map_update_elem
r0 = 0
exit
