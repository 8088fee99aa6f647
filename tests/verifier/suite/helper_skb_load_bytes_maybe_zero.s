# type: socket_filter
# expect: reject
# class: helper_arg_size
# insn: 8
# message: R4 invalid zero-sized read: u64=[0,7]
# about: a length masked to 0..7 may be zero
r6 = r1
call bpf_get_prandom_u32
r4 = r0
r4 &= 7
r1 = r6
r2 = 0
r3 = r10
r3 += -8
call bpf_skb_load_bytes
r0 = 0
exit
