# type: socket_filter
# expect: reject
# class: bad_pointer_deref
# insn: 2
# message: only read from bpf_htab is supported
# about: writing through a map pointer is refused
.map m hash key=4 value=8 max_entries=16
r1 = m ll
*(u32 *)(r1 + 0) = 0
r0 = 0
exit
