# type: tracepoint
# expect: reject
# found: the tracepoint twin of private_stack_perf_event.s (checked by hand on the live kernel)
# about: the same program as a tracepoint: no private stack there on this build, so the frames' 16 + 512 bytes exceed the combined 512 (pybpf agrees)
r6 = r1
*(u64 *)(r10 - 8) = 5
r4 = r10
r4 += -8
call fn1
r7 = r0
r0 = 0
exit
fn1:
r0 = 0
r3 = *(u64 *)(r4 + 0)
r0 += r3
*(u64 *)(r10 - 512) = r0
exit
