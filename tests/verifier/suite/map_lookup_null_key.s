# type: socket_filter
# expect: reject
# class: helper_arg_type
# insn: 3
# message: R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
# about: bpf_map_lookup_elem gets 0 instead of a key pointer
.map m hash key=4 value=8 max_entries=16
r1 = m ll
r2 = 0
call bpf_map_lookup_elem
r0 = 0
exit
