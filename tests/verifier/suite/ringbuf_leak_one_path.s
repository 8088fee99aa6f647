# type: socket_filter
# expect: reject
# class: reference_leak
# insn: 13
# message: Unreleased reference id=2 alloc_insn=4
# message: BPF_EXIT instruction in main prog would lead to reference leak
# about: a reservation is released on one path only
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r6 = r0
call bpf_get_prandom_u32
if r0 > 100 goto out
r1 = r6
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
