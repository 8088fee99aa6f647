/* CO-RE across kernel versions: ___flavor structs, field existence checks,
 * bpf_core_field_size, enum values and type checks guarding reads. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

/* the older layout where the state field had another name */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

struct task_struct___new {
	unsigned int __state;
} __attribute__((preserve_access_index));

struct mm_struct___nofield {
	unsigned long no_such_counter;
} __attribute__((preserve_access_index));

enum cgroup_subsys_id___local {
	cpu_cgrp_id___local = 9999,
	memory_cgrp_id___local = 9998,
};

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(((struct task_struct___new *)t)->__state))
		return BPF_CORE_READ((struct task_struct___new *)t, __state);
	return BPF_CORE_READ((struct task_struct___old *)t, state);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(state_any_kernel, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return task_state(prev) != 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(missing_field_guarded, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct mm_struct___nofield *mm = (void *)BPF_CORE_READ(prev, mm);
	if (!mm)
		return 0;
	if (bpf_core_field_exists(mm->no_such_counter))
		return BPF_CORE_READ(mm, no_such_counter) > 0;
	return 0;
}

/* mistake: a field this kernel lacks is read without the existence guard:
 * the relocation cannot be resolved and the instruction is poisoned */
SEC("raw_tp/sched_switch")
int BPF_PROG(missing_field_unguarded, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	struct mm_struct___nofield *mm = (void *)BPF_CORE_READ(prev, mm);
	if (!mm)
		return 0;
	return BPF_CORE_READ(mm, no_such_counter) > 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(enum_values, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	int id = 0;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		id = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id___local, memory_cgrp_id___local))
		id += 100;
	return id;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(field_sizes, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	char comm[TASK_COMM_LEN];
	u32 sz = bpf_core_field_size(prev->comm);
	if (sz > sizeof(comm))
		sz = sizeof(comm);
	bpf_probe_read_kernel(comm, sz, __builtin_preserve_access_index(&prev->comm));
	return comm[0] + bpf_core_type_size(struct task_struct) % 7;
}

/* mistake: the size from bpf_core_field_size is used without clamping to the buffer */
SEC("raw_tp/sched_switch")
int BPF_PROG(field_size_unclamped, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	char comm[8];
	u32 sz = bpf_core_field_size(prev->comm);
	bpf_probe_read_kernel(comm, sz, __builtin_preserve_access_index(&prev->comm));
	return comm[0];
}

SEC("raw_tp/sched_switch")
int BPF_PROG(type_checks, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	int r = 0;
	if (bpf_core_type_exists(struct task_struct___old))
		r |= 1;
	if (bpf_core_type_exists(struct bpf_cpumask))
		r |= 2;
	if (bpf_core_type_matches(struct task_struct___new))
		r |= 4;
	return r;
}
