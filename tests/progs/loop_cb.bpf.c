// bpf_loop with a callback (needs BTF func info: compiled with -g).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";
__u64 total = 0;

static long add_index(__u32 index, void *ctx)
{
	*(__u64 *)ctx += index;
	return 0;
}

SEC("socket")
int loop_prog(struct __sk_buff *skb)
{
	__u64 sum = 0;
	bpf_loop(10, add_index, &sum, 0);
	total = sum;     /* 0 + 1 + ... + 9 = 45 */
	return 0;
}
