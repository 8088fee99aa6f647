// message: call_stack_depth
// kind: verifier_limit
// hint: __always_inline
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef FIXED
#define STEP static __always_inline int
#else
#define STEP static __noinline int
#endif
STEP s8(int x) { return x * 3 + 1; }
STEP s7(int x) { return s8(x) + 1; } /* FAIL */
STEP s6(int x) { return s7(x) + 1; }
STEP s5(int x) { return s6(x) + 1; }
STEP s4(int x) { return s5(x) + 1; }
STEP s3(int x) { return s4(x) + 1; }
STEP s2(int x) { return s3(x) + 1; }
STEP s1(int x) { return s2(x) + 1; }

SEC("socket")
int deep(struct __sk_buff *skb)
{
	return s1(skb->len);
}

char LICENSE[] SEC("license") = "GPL";
