# type: socket_filter
# expect: reject
# class: frame_pointer_write
# insn: 1
# message: frame pointer is read only
# about: loading from memory into R10 is refused
*(u64 *)(r10 - 8) = 0
r10 = *(u64 *)(r10 - 8)
r0 = 0
exit
