/*
 * class: message: kernel: R6 max value is outside of the allowed memory range / pybpf: invalid variable-offset read from stack R2 var_off=(N; N) off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1979, -mcpu=v2)
 * kernel: reject at 42: invalid access to map value, value_size=256 off=511 size=4
 * R6 max value is outside of the allowed memory range
 * pybpf: reject at 53: invalid variable-offset read from stack R2 var_off=(0x0; 0x38) off=-32 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_1979_1(u32 i, u64 *c)
{
	c[i & 7] += i;
	return 2;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[256]);
} pa_1979_2 SEC(".maps");

SEC("tc")
int f1979(struct __sk_buff *ctx)
{
	u64 acc = 0;
	{
		void *d_1979_0 = (void *)(long)ctx->data;
		void *e_1979_0 = (void *)(long)ctx->data_end;
		struct ethhdr *eth_1979_0 = d_1979_0;
		struct iphdr *ip_1979_0 = (void *)(eth_1979_0 + 1);
		if ((void *)(ip_1979_0 + 1) > e_1979_0)
			return 0;
		u32 hl_1979_0 = ip_1979_0->ihl * 4;
		if (hl_1979_0 < 20 || hl_1979_0 > 60)
			return 0;
		struct udphdr *u_1979_0 = (void *)ip_1979_0 + hl_1979_0;
		if ((void *)u_1979_0 + sizeof(*u_1979_0) - 0 > e_1979_0)
			return 0;
		acc += u_1979_0->source;
	}
	{
		u64 c_1979_1[4] = {};
		bpf_loop(100, cb_1979_1, c_1979_1, 0);
		acc += c_1979_1[0];
	}
	{
		u32 z_1979_2 = 0;
		char *p_1979_2 = bpf_map_lookup_elem(&pa_1979_2, &z_1979_2);
		if (p_1979_2) {
			u32 o_1979_2 = (u32)bpf_get_prandom_u32() & 511;
			acc += *(u32 *)(p_1979_2 + o_1979_2);
		}
	}
	return acc & 1;
}

