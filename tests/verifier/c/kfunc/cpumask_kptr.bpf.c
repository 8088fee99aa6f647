/* cpumasks stored as kptrs in map values, read under RCU, and combined with
 * bpf_cpumask_and. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct mask_slot {
	struct bpf_cpumask __kptr_ref_ *mask;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct mask_slot);
} slot SEC(".maps");

SEC("tp_btf/task_newtask")
int BPF_PROG(store_mask, struct task_struct *task, u64 clone_flags)
{
	u32 k = 0;
	struct mask_slot *s = bpf_map_lookup_elem(&slot, &k);
	if (!s)
		return 0;
	struct bpf_cpumask *m = bpf_cpumask_create();
	if (!m)
		return 0;
	bpf_cpumask_set_cpu(0, m);
	m = bpf_kptr_xchg(&s->mask, m);
	if (m)
		bpf_cpumask_release(m);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(read_mask_rcu, struct task_struct *task, u64 clone_flags)
{
	u32 k = 0;
	int r = 0;
	struct mask_slot *s = bpf_map_lookup_elem(&slot, &k);
	if (!s)
		return 0;
	bpf_rcu_read_lock();
	struct bpf_cpumask *m = s->mask;
	if (m)
		r = bpf_cpumask_test_cpu(0, (const struct cpumask *)m);
	bpf_rcu_read_unlock();
	return r;
}

/* mistake: the kptr is used outside an RCU read section */
SEC("tp_btf/task_newtask")
int BPF_PROG(read_mask_no_rcu, struct task_struct *task, u64 clone_flags)
{
	u32 k = 0;
	struct mask_slot *s = bpf_map_lookup_elem(&slot, &k);
	if (!s)
		return 0;
	struct bpf_cpumask *m = s->mask;
	if (!m)
		return 0;
	return bpf_cpumask_test_cpu(0, (const struct cpumask *)m);
}

SEC("tp_btf/task_newtask")
int BPF_PROG(and_masks, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *a = bpf_cpumask_create();
	if (!a)
		return 0;
	struct bpf_cpumask *b = bpf_cpumask_create();
	if (!b) {
		bpf_cpumask_release(a);
		return 0;
	}
	bpf_cpumask_set_cpu(1, a);
	bpf_cpumask_copy(b, task->cpus_ptr);
	bpf_cpumask_and(a, (const struct cpumask *)a, (const struct cpumask *)b);
	int empty = bpf_cpumask_empty((const struct cpumask *)a);
	bpf_cpumask_release(a);
	bpf_cpumask_release(b);
	return empty;
}

/* mistake: one of two masks leaks on the error path */
SEC("tp_btf/task_newtask")
int BPF_PROG(and_masks_leak, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *a = bpf_cpumask_create();
	if (!a)
		return 0;
	struct bpf_cpumask *b = bpf_cpumask_create();
	if (!b)
		return 0;
	bpf_cpumask_release(a);
	bpf_cpumask_release(b);
	return 0;
}
