/*
 * class: message: kernel: R0 invalid mem access 'map_value_or_null' / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1380, -mcpu=v4)
 * kernel: reject at 23: R0 invalid mem access 'map_value_or_null'
 * pybpf: reject at 14: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_1380_0(u32 i, u64 *c)
{
	c[i & 3] += i;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, char[64]);
} m_1380_2 SEC(".maps");

SEC("tp_btf/sched_switch")
int f1380(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 c_1380_0[4] = {};
		bpf_loop(100, cb_1380_0, c_1380_0, 0);
		acc += c_1380_0[0];
	}
	{
		struct task_struct *t_1380_1 = (struct task_struct *)ctx[2];
		acc += t_1380_1->real_parent->tgid;
	}
	{
		u32 k_1380_2 = 0;
		char *v_1380_2 = bpf_map_lookup_elem(&m_1380_2, &k_1380_2);
		__sync_fetch_and_add((u64 *)(v_1380_2 + 32), 1);
	}
	return acc & 1;
}

