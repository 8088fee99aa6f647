# type: sched_cls
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=16 size=4
# about: __sk_buff.protocol is read-only
r2 = 1
*(u32 *)(r1 + 16) = r2
r0 = 0
exit
