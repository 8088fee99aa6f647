# type: sk_lookup
# attach: sk_lookup
# expect: accept
# about: sk_lookup returns SK_PASS (1)
r0 = 1
exit
