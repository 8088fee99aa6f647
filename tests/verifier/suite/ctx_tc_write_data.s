# type: sched_cls
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=76 size=4
# about: __sk_buff.data cannot be written
r2 = 1
*(u32 *)(r1 + 76) = r2
r0 = 0
exit
