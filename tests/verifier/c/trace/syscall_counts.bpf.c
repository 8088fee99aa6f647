/* Syscall counting over raw_tp/sys_enter and tp/raw_syscalls: per-CPU hash,
 * filtering by a .rodata pid and a .bss counter. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

const volatile pid_t filter_tgid = 0;
u64 total_events = 0;
u64 dropped_events;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 512);
	__type(key, u32);
	__type(value, u64);
} syscall_count SEC(".maps");

SEC("raw_tp/sys_enter")
int BPF_PROG(count_raw, struct pt_regs *regs, long id)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (filter_tgid && tgid != filter_tgid)
		return 0;
	u32 key = id;
	u64 *v = bpf_map_lookup_elem(&syscall_count, &key);
	if (v) {
		*v += 1;
	} else {
		u64 one = 1;
		if (bpf_map_update_elem(&syscall_count, &key, &one, BPF_NOEXIST))
			__sync_fetch_and_add(&dropped_events, 1);
	}
	__sync_fetch_and_add(&total_events, 1);
	return 0;
}

SEC("tp/raw_syscalls/sys_enter")
int count_tp(struct trace_event_raw_sys_enter *ctx)
{
	u32 key = ctx->id;
	u64 *v = bpf_map_lookup_elem(&syscall_count, &key);
	if (v)
		*v += 1;
	return 0;
}

/* read the first syscall argument from the saved registers */
SEC("raw_tp/sys_enter")
int BPF_PROG(first_arg, struct pt_regs *regs, long id)
{
	if (id != 257 /* openat */)
		return 0;
	unsigned long dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	const char *path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	char buf[64];
	if (bpf_probe_read_user_str(buf, sizeof(buf), path) < 0)
		return 0;
	return buf[0] == '/' && dfd != 0;
}

/* mistake: writing to the tracepoint context */
SEC("tp/raw_syscalls/sys_enter")
int count_tp_write_ctx(struct trace_event_raw_sys_enter *ctx)
{
	ctx->id = 0;
	return 0;
}

/* mistake: a read past the end of the tracepoint record */
SEC("tp/raw_syscalls/sys_enter")
int count_tp_past_end(struct trace_event_raw_sys_enter *ctx)
{
	return *(u64 *)((char *)ctx + sizeof(*ctx)) != 0;
}
