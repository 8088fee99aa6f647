# type: socket_filter
# expect: reject
# class: helper_arg_size
# insn: 4
# message: R4 invalid zero-sized read: u64=[0,0]
# about: bpf_skb_load_bytes needs a non-zero length (ARG_CONST_SIZE)
r2 = 0
r3 = r10
r3 += -8
r4 = 0
call bpf_skb_load_bytes
r0 = 0
exit
