# type: socket_filter
# expect: reject
# class: frame_pointer_write
# insn: 0
# message: frame pointer is read only
# about: R10 is read-only: a 32-bit move into it is refused
w10 = 1
r0 = 0
exit
