// message: map_value_access
// kind: program
// hint: if (i >= ARRAY_LEN)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct slots { __u64 v[16]; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} slot_of SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots);
} table SEC(".maps");

SEC("raw_tp/sys_enter")
int count_by_slot(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u32 *slot = bpf_map_lookup_elem(&slot_of, &pid);
	if (!slot)
		return 0;
	__u32 key = 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
	__u32 i = *slot;
#ifdef FIXED
	if (i >= 16)
		return 0;
#else
	if (i > 16) /* ROOT */
		return 0;
#endif
	s->v[i] += 1; /* FAIL */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
