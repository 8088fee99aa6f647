# type: socket_filter
# expect: reject
# class: call_depth
# insn: none
# message: combined stack size of 2 calls is 768. Too large
# about: two frames using 384 bytes of stack each exceed the 512-byte combined limit
*(u64 *)(r10 - 384) = 0
call f
r0 = 0
exit
f:
*(u64 *)(r10 - 384) = 0
r0 = 0
exit
