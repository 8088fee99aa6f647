# type: tracepoint
# expect: accept
# about: bpf_trace_printk with a format string on the stack
r1 = 0x0a6968 ll
*(u64 *)(r10 - 8) = r1
r1 = r10
r1 += -8
r2 = 4
call bpf_trace_printk
r0 = 0
exit
