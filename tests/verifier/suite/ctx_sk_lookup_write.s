# type: sk_lookup
# attach: sk_lookup
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=60 size=4
# about: sk_lookup context is read-only
r2 = 80
*(u32 *)(r1 + 60) = r2
r0 = 1
exit
