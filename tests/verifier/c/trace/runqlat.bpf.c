/* Run queue latency: sched_wakeup/sched_wakeup_new/sched_switch over tp_btf and
 * raw_tp, pid filters from .rodata and a per-cgroup filter map. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

const volatile pid_t targ_tgid = 0;
const volatile bool filter_cg = false;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} wakeup_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, u32);
	__type(value, u64);
} lat SEC(".maps");

static __always_inline int trace_enqueue(u32 tgid, u32 pid)
{
	if (!pid || (targ_tgid && targ_tgid != tgid))
		return 0;
	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&wakeup_ts, &pid, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup, struct task_struct *p)
{
	return trace_enqueue(p->tgid, p->pid);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wakeup_new, struct task_struct *p)
{
	return trace_enqueue(p->tgid, p->pid);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct *p)
{
	return trace_enqueue(BPF_CORE_READ(p, tgid), BPF_CORE_READ(p, pid));
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_in, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u32 pid = next->pid;
	u64 *ts = bpf_map_lookup_elem(&wakeup_ts, &pid);
	if (!ts)
		return 0;
	u64 d = (bpf_ktime_get_ns() - *ts) / 1000;
	u32 slot = 0;
	while (d > 1 && slot < 31) {
		d >>= 1;
		slot++;
	}
	u64 *c = bpf_map_lookup_elem(&lat, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
	bpf_map_delete_elem(&wakeup_ts, &pid);
	return 0;
}

/* mistake: the latency slot is not capped below the array size (32 entries, slot up to 63) */
SEC("tp_btf/sched_switch")
int BPF_PROG(switch_in_uncapped, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u64 counts[32] = {};
	u32 pid = next->pid;
	u64 *ts = bpf_map_lookup_elem(&wakeup_ts, &pid);
	if (!ts)
		return 0;
	u64 d = bpf_ktime_get_ns() - *ts;
	u32 slot = 0;
	while (d > 1 && slot < 63) {
		d >>= 1;
		slot++;
	}
	counts[slot]++;
	return counts[0];
}

/* mistake: bpf_current_task_under_cgroup on a hash map instead of a cgroup array */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_wrong_map, struct task_struct *p)
{
	return bpf_current_task_under_cgroup(&wakeup_ts, 0);
}
