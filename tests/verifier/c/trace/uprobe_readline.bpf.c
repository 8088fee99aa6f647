/* uprobe/uretprobe tracing of a user function: arguments through PT_REGS,
 * user memory read with bpf_probe_read_user_str, a perf event array output. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct line_event {
	u32 pid;
	u32 len;
	char line[80];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} lines SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u64);
} entry_args SEC(".maps");

SEC("uretprobe")
int BPF_KRETPROBE(readline_ret, const char *ret)
{
	struct line_event ev = {};
	if (!ret)
		return 0;
	ev.pid = bpf_get_current_pid_tgid() >> 32;
	long n = bpf_probe_read_user_str(ev.line, sizeof(ev.line), ret);
	if (n < 0)
		return 0;
	ev.len = n;
	bpf_perf_event_output(ctx, &lines, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(write_entry, int fd, const void *buf, u64 count)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 c = count;
	bpf_map_update_elem(&entry_args, &id, &c, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(write_exit, long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 *c = bpf_map_lookup_elem(&entry_args, &id);
	if (!c)
		return 0;
	bpf_map_delete_elem(&entry_args, &id);
	return ret == (long)*c;
}

/* mistake: the user pointer is dereferenced directly */
SEC("uprobe")
int BPF_KPROBE(write_entry_deref, int fd, const char *buf, u64 count)
{
	if (count > 0 && buf[0] == '#')
		return 1;
	return 0;
}

/* mistake: the event is sent with a length the verifier cannot bound */
SEC("uretprobe")
int BPF_KRETPROBE(readline_ret_varlen, const char *ret)
{
	struct line_event ev = {};
	long n = bpf_probe_read_user_str(ev.line, sizeof(ev.line), ret);
	bpf_perf_event_output(ctx, &lines, BPF_F_CURRENT_CPU, &ev, n + 8);
	return 0;
}
