# type: socket_filter
# expect: reject
# class: reference_leak
# insn: 11
# message: Unreleased reference id=2 alloc_insn=4
# message: BPF_EXIT instruction in main prog would lead to reference leak
# about: a reservation still held after a bounded loop ends
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 16
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r6 = r0
r1 = 0
loop:
r1 += 1
if r1 < 4 goto loop
out:
r0 = 0
exit
