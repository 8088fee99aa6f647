# type: sk_lookup
# attach: sk_lookup
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=200 size=4
# about: offset 200 is past the end of bpf_sk_lookup
r0 = *(u32 *)(r1 + 200)
r0 = 1
exit
