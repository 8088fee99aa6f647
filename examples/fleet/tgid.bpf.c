// A tracepoint that records the calling process's tgid, read from task_struct with CO-RE:
// the field's offset is resolved against each kernel's own BTF.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
    int tgid;
} __attribute__((preserve_access_index));

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} last_tgid SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    __u32 key = 0;
    __u64 *slot = bpf_map_lookup_elem(&last_tgid, &key);
    if (slot)
        *slot = BPF_CORE_READ(task, tgid);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
