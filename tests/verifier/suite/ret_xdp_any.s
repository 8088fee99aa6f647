# type: xdp
# expect: accept
# about: XDP return codes are not range-checked at load time
r0 = 100
exit
