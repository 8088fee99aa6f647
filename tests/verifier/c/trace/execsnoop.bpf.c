/* Process exec tracer: tracepoint context, task_struct walk with BPF_CORE_READ,
 * a per-CPU scratch event and a ring buffer. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct exec_event {
	u32 pid;
	u32 ppid;
	u32 uid;
	int retval;
	char comm[TASK_COMM_LEN];
	char filename[MAX_PATH_];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct exec_event);
} scratch SEC(".maps");

const volatile u32 target_uid = (u32)-1;

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	u32 zero = 0;
	struct exec_event *e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	u64 uid_gid = bpf_get_current_uid_gid();
	if (target_uid != (u32)-1 && (u32)uid_gid != target_uid)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (u32)uid_gid;
	e->retval = 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	return 0;
}

/* the same, reserving in the ring buffer directly */
SEC("tp/sched/sched_process_exec")
int handle_exec_reserve(struct trace_event_raw_sched_process_exec *ctx)
{
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (u32)bpf_get_current_uid_gid();
	e->retval = 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* mistake: the reservation is leaked on the early return */
SEC("tp/sched/sched_process_exec")
int handle_exec_leak(struct trace_event_raw_sched_process_exec *ctx)
{
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	if (e->pid == 1)
		return 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* mistake: the per-CPU scratch value is used without a NULL check */
SEC("tp/sched/sched_process_exec")
int handle_exec_nocheck(struct trace_event_raw_sched_process_exec *ctx)
{
	u32 zero = 0;
	struct exec_event *e = bpf_map_lookup_elem(&scratch, &zero);
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	return 0;
}
