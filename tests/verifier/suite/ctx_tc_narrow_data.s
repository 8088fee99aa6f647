# type: sched_cls
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=76 size=2
# about: a 2-byte read of __sk_buff.data is refused (the pointer fields need full loads)
r0 = *(u16 *)(r1 + 76)
r0 = 0
exit
