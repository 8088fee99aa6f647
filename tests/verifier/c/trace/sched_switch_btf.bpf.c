/* Off-CPU time by task with tp_btf: BTF-typed task pointers read directly,
 * a hash map of start times and a histogram in an array map. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

static __always_inline u32 log2l(u64 v)
{
	u32 r = 0;
	while (v > 1 && r < 63) {
		v >>= 1;
		r++;
	}
	return r;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u64 now = bpf_ktime_get_ns();
	u32 pid = prev->pid;
	if (prev->__state == 0 || pid == 0)
		goto next;
	bpf_map_update_elem(&start, &pid, &now, BPF_ANY);
next:
	pid = next->pid;
	u64 *ts = bpf_map_lookup_elem(&start, &pid);
	if (!ts)
		return 0;
	u64 delta = (now - *ts) / 1000;
	bpf_map_delete_elem(&start, &pid);
	u32 slot = log2l(delta);
	u64 *cnt = bpf_map_lookup_elem(&hist, &slot);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return 0;
}

/* the same hook read through raw_tp: arguments are plain numbers, read with CO-RE */
SEC("raw_tp/sched_switch")
int BPF_PROG(offcpu_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u32 pid = BPF_CORE_READ(next, pid);
	u64 *ts = bpf_map_lookup_elem(&start, &pid);
	if (!ts)
		return 0;
	u32 slot = log2l((bpf_ktime_get_ns() - *ts) / 1000);
	u64 *cnt = bpf_map_lookup_elem(&hist, &slot);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return 0;
}

/* mistake: a raw_tp argument dereferenced as if it were BTF-typed */
SEC("raw_tp/sched_switch")
int BPF_PROG(offcpu_raw_deref, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u32 pid = next->pid;
	return pid == 0;
}

/* mistake: the histogram slot is not bounded before indexing a local array */
SEC("tp_btf/sched_switch")
int BPF_PROG(offcpu_unbounded, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u64 counts[16] = {};
	u32 slot = next->pid;
	counts[slot] += 1;
	return counts[3];
}
