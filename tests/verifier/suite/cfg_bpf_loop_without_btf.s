# type: socket_filter
# expect: reject
# class: invalid_insn
# insn: 1
# message: missing btf func_info
# about: a callback (here for bpf_loop) needs BTF func_info, which plain assembly does not carry
r1 = 10
r2 = cb ll
r3 = 0
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r0 = 0
exit
