# type: socket_filter
# expect: reject
# class: too_complex
# insn: 4
# message: The sequence of 8193 jumps is too complex.
# about: a loop to a full 32-bit random bound makes the verifier walk it until the 1,000,000 instruction limit
call bpf_get_prandom_u32
w6 = w0
r1 = 0
r0 = 0
loop:
if r1 >= r6 goto out
r1 += 1
r0 += 2
goto loop
out:
exit
