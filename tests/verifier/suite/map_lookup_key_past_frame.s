# type: socket_filter
# expect: reject
# class: helper_mem_access
# insn: 4
# message: invalid read from stack R2 off=-2 size=4
# about: a 4-byte key at r10-2 would reach past the frame
.map m hash key=4 value=8 max_entries=16
r2 = r10
r2 += -2
r1 = m ll
call bpf_map_lookup_elem
r0 = 0
exit
