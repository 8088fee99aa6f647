# type: tracepoint
# expect: reject
# class: helper_arg_type
# insn: 1
# message: R1 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_
# about: bpf_get_current_comm cannot write into the context
r2 = 16
call bpf_get_current_comm
r0 = 0
exit
