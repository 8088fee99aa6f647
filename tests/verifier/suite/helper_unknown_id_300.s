# type: socket_filter
# expect: reject
# class: unknown_helper
# insn: 0
# message: invalid func unknown#300
# about: helper id 300 is past the last helper of this kernel
call 300
r0 = 0
exit
