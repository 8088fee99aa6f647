# type: socket_filter
# expect: reject
# class: helper_arg_type
# insn: 3
# message: R2 type=map_ptr expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
# about: a map pointer passed as the key
.map m hash key=4 value=8 max_entries=16
r1 = m ll
r2 = r1
call bpf_map_lookup_elem
r0 = 0
exit
