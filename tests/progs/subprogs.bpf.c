// Static and global subprograms, nested calls, and every global-data section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 factor = 3;        /* .rodata: set before load */
__u64 calls = 0;                        /* .bss */
__u64 base = 100;                       /* .data */
__u64 table[4] SEC(".data.table") = {1, 2, 3, 4};
char LICENSE[] SEC("license") = "GPL";

static __attribute__((noinline)) __u64 scale(__u64 x)
{
	return x * factor;
}

static __attribute__((noinline)) __u64 add_base(__u64 x)
{
	return scale(x) + base;            /* nested static call */
}

__attribute__((noinline)) int global_sum(int n)
{
	int s = 0;
	for (int i = 0; i < 4; i++)
		s += table[i];
	return s + n;
}

SEC("xdp")
int subprogs_xdp(struct xdp_md *ctx)
{
	calls++;
	return (int)(add_base(1) + global_sum(0)) & 0xff;  /* 3 + 100 + 10 = 113 */
}

SEC("socket")
int subprogs_sock(struct __sk_buff *skb)
{
	calls += 2;
	return (int)scale(7);   /* 21 */
}
