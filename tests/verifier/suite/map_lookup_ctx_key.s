# type: socket_filter
# expect: reject
# class: helper_arg_type
# insn: 3
# message: R2 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
# about: bpf_map_lookup_elem gets the context as the key pointer
.map m hash key=4 value=8 max_entries=16
r2 = r1
r1 = m ll
call bpf_map_lookup_elem
r0 = 0
exit
