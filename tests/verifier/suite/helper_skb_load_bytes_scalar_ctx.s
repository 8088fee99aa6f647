# type: socket_filter
# expect: reject
# class: helper_arg_type
# insn: 5
# message: R1 type=scalar expected=ctx
# about: bpf_skb_load_bytes gets a number instead of the skb
r1 = 0
r2 = 0
r3 = r10
r3 += -8
r4 = 4
call bpf_skb_load_bytes
r0 = 0
exit
