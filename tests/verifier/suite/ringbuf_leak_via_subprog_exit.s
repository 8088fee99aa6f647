# type: socket_filter
# expect: reject
# class: reference_leak
# insn: 3
# message: Unreleased reference id=2 alloc_insn=8
# message: BPF_EXIT instruction in main prog would lead to reference leak
# about: a reservation made in a subprogram is still held when the main program exits
.map rb ringbuf key=0 value=0 max_entries=4096
call f
if r0 == 0 goto +0
r0 = 0
exit
f:
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
exit
