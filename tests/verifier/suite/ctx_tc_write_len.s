# type: sched_cls
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=0 size=4
# about: __sk_buff.len is read-only for tc too
r2 = 1
*(u32 *)(r1 + 0) = r2
r0 = 0
exit
