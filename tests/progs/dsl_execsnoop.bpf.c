// C twin of examples/execsnoop.py (for benchmarks/dsl.py).
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct { struct task_struct *real_parent; int tgid; } __attribute__((preserve_access_index));
struct event { __u32 pid; __u32 ppid; char comm[16]; char filename[128]; char argv0[64]; };
struct exec_ctx { __u64 common; __s32 nr; __u32 pad; const char *filename; const char *const *argv; };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int exec_enter(struct exec_ctx *ctx)
{
	struct event e = {};
	struct task_struct *task = (void *)bpf_get_current_task(), *parent = 0;
	const char *argv0 = 0;

	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_probe_read_kernel(&parent, sizeof(parent), &task->real_parent);
	bpf_probe_read_kernel(&e.ppid, sizeof(e.ppid), &parent->tgid);
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(&e.filename, sizeof(e.filename), ctx->filename);
	bpf_probe_read_user(&argv0, sizeof(argv0), ctx->argv);
	bpf_probe_read_user_str(&e.argv0, sizeof(e.argv0), argv0);
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return 0;
}
