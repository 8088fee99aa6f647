/*
 * class: message: kernel: R1 type=scalar expected=ringbuf_mem / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3005, -mcpu=v4)
 * kernel: reject at 44: R1 type=scalar expected=ringbuf_mem
 * pybpf: reject at 2: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_3005_1(u32 i, u64 *c)
{
	c[i & 15] += i;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_3005_2 SEC(".maps");

SEC("tp_btf/sched_switch")
int f3005(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_3005_0 = (struct task_struct *)ctx[2];
		if (t_3005_0->cred)
			acc += t_3005_0->cred->uid.val;
	}
	{
		u64 c_3005_1[16] = {};
		bpf_loop(16, cb_3005_1, c_3005_1, 0);
		acc += c_3005_1[0];
	}
	{
		char *r_3005_2 = bpf_ringbuf_reserve(&rb_3005_2, 16, 0);
		if (r_3005_2) {
			*(u64 *)(r_3005_2 + 8) = acc;
			bpf_ringbuf_submit(r_3005_2, 0);
			bpf_ringbuf_discard(r_3005_2, 0);
		}
	}
	return (int)acc;
}

