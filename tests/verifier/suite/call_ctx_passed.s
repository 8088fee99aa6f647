# type: socket_filter
# expect: accept
# about: the context passed to a subprogram can be read there
call f
exit
f:
r0 = *(u32 *)(r1 + 0)
exit
