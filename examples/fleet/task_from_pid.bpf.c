// A BTF tracepoint on every new task that looks its thread-group leader up by pid with the
// bpf_task_from_pid kfunc and counts the leaders found. 6.12 and 6.18 have the kfunc for
// tracing programs; 6.1 has no such kfunc (see docs/kernels.md).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct task_struct {
    int pid;
    int tgid;
} __attribute__((preserve_access_index));

extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

__u64 leaders_found;

SEC("tp_btf/task_newtask")
int on_new_task(unsigned long long *ctx)
{
    struct task_struct *task = (struct task_struct *)ctx[0];
    struct task_struct *leader = bpf_task_from_pid(task->tgid);

    if (!leader)
        return 0;
    __sync_fetch_and_add(&leaders_found, 1);
    bpf_task_release(leader);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
