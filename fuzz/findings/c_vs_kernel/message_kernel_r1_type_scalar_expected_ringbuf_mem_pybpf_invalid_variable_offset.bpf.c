/*
 * class: message: kernel: R1 type=scalar expected=ringbuf_mem / pybpf: invalid variable-offset read from stack R2 var_off=(N; N) off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1911, -mcpu=v2)
 * kernel: reject at 30: R1 type=scalar expected=ringbuf_mem
 * pybpf: reject at 39: invalid variable-offset read from stack R2 var_off=(0x0; 0x78) off=-64 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_1911_0(u32 i, u64 *c)
{
	c[i & 15] += i;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_1911_1 SEC(".maps");

SEC("tp_btf/sched_switch")
int f1911(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 c_1911_0[8] = {};
		bpf_loop(16, cb_1911_0, c_1911_0, 0);
		acc += c_1911_0[0];
	}
	{
		char *r_1911_1 = bpf_ringbuf_reserve(&rb_1911_1, 8, 0);
		if (r_1911_1) {
			*(u64 *)(r_1911_1 + 0) = acc;
			bpf_ringbuf_submit(r_1911_1, 0);
			bpf_ringbuf_discard(r_1911_1, 0);
		}
	}
	return (int)acc;
}

