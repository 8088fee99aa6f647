# type: perf_event
# expect: accept
# found: fuzz/verifier_vs_kernel.py --duration 1800 --seed 17001 (class D1, 10 programs, all perf_event)
# fixed: the private stack is measured per program type (profile features private_stack_kprobe, _tracepoint, _perf_event, _raw_tracepoint: this build answers true for perf_event only) and applied as bpf_enable_priv_stack() decides
# about: this 6.18 build gives a perf_event program's subprogram of 64 bytes or more a private stack (the 16 + 512 bytes do not add up); tracepoint, raw_tracepoint and kprobe programs get none and the kernel refuses the same program there with pybpf's message, but pybpf's private_stack feature is probed with a tracepoint program only, so it applies the 512-byte combined limit to perf_event too
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
