# type: xdp
# expect: reject
# class: helper_not_allowed
# insn: 0
# message: program of this type cannot use helper bpf_get_socket_cookie#46
# about: XDP programs cannot call bpf_get_socket_cookie
call bpf_get_socket_cookie
r0 = 2
exit
