/* String handling in tracing programs: bpf_strncmp against constants, bpf_snprintf
 * into a buffer, __data_loc strings of tracepoints, comm filters from .rodata. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

const volatile char target_comm[TASK_COMM_LEN] = "bash";
char last_fmt[64];

SEC("tp/sched/sched_process_exec")
int exec_match(struct trace_event_raw_sched_process_exec *ctx)
{
	char comm[TASK_COMM_LEN];
	bpf_get_current_comm(comm, sizeof(comm));
	return bpf_strncmp(comm, sizeof(comm), (const char *)target_comm) == 0;
}

SEC("tp/sched/sched_process_exec")
int exec_fmt(struct trace_event_raw_sched_process_exec *ctx)
{
	u64 args[2] = { bpf_get_current_pid_tgid() >> 32, ctx->old_pid };
	static const char fmt[] = "pid=%d old=%d";
	return bpf_snprintf(last_fmt, sizeof(last_fmt), fmt, args, sizeof(args)) > 0;
}

SEC("tp/sched/sched_process_exec")
int exec_filename(struct trace_event_raw_sched_process_exec *ctx)
{
	char name[64];
	u32 loc = ctx->__data_loc_filename;
	bpf_probe_read_kernel_str(name, sizeof(name), (void *)ctx + (loc & 0xffff));
	return name[0] == '/';
}

/* mistake: bpf_strncmp's second string must be a constant read-only string */
SEC("tp/sched/sched_process_exec")
int exec_match_stack(struct trace_event_raw_sched_process_exec *ctx)
{
	char comm[TASK_COMM_LEN], other[TASK_COMM_LEN] = "sh";
	bpf_get_current_comm(comm, sizeof(comm));
	return bpf_strncmp(comm, sizeof(comm), other) == 0;
}

/* mistake: the snprintf format is not a constant string */
SEC("tp/sched/sched_process_exec")
int exec_fmt_stack(struct trace_event_raw_sched_process_exec *ctx)
{
	char fmt[8] = "%d";
	u64 args[1] = { 1 };
	return bpf_snprintf(last_fmt, sizeof(last_fmt), fmt, args, sizeof(args)) > 0;
}

/* mistake: the __data_loc offset is added to the ctx pointer and read directly */
SEC("tp/sched/sched_process_exec")
int exec_filename_direct(struct trace_event_raw_sched_process_exec *ctx)
{
	u32 loc = ctx->__data_loc_filename & 0xffff;
	char *name = (char *)ctx + loc;
	return name[0] == '/';
}
