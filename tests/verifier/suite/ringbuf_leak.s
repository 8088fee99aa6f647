# type: socket_filter
# expect: reject
# class: reference_leak
# insn: 8
# message: Unreleased reference id=2 alloc_insn=4
# message: BPF_EXIT instruction in main prog would lead to reference leak
# about: a reservation is never submitted nor discarded
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1
out:
r0 = 0
exit
