/* Bounded loops as clang -O2 emits them: counted loops over stack buffers and
 * map values, loops the verifier must unroll, and loops it cannot bound. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[128]);
} strs SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int strlen_map(void *ctx)
{
	u32 zero = 0;
	char *s = bpf_map_lookup_elem(&strs, &zero);
	if (!s)
		return 0;
	int n = 0;
	for (int i = 0; i < 128; i++) {
		if (s[i] == 0)
			break;
		n++;
	}
	return n;
}

SEC("tp/syscalls/sys_enter_openat")
int hash_comm(void *ctx)
{
	char comm[TASK_COMM_LEN];
	bpf_get_current_comm(comm, sizeof(comm));
	u32 h = 5381;
	for (int i = 0; i < TASK_COMM_LEN && comm[i]; i++)
		h = h * 33 + comm[i];
	return h & 0xff;
}

/* mistake: the loop bound comes from a map value: unbounded */
SEC("tp/syscalls/sys_enter_openat")
int loop_map_bound(void *ctx)
{
	u32 zero = 0;
	char *s = bpf_map_lookup_elem(&strs, &zero);
	if (!s)
		return 0;
	u32 n = *(u32 *)s, sum = 0;
	for (u32 i = 0; i < n; i++)
		sum += i;
	return sum;
}

/* mistake: an index that walks past the map value */
SEC("tp/syscalls/sys_enter_openat")
int loop_past_value(void *ctx)
{
	u32 zero = 0;
	char *s = bpf_map_lookup_elem(&strs, &zero);
	if (!s)
		return 0;
	int n = 0;
	for (int i = 0; i <= 128; i++)
		n += s[i];
	return n;
}

/* a nested loop of modest size, fully explored by the verifier */
SEC("tp/syscalls/sys_enter_openat")
int nested_small(void *ctx)
{
	u32 m[4][4] = {};
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			m[i][j] = i ^ j;
	return m[2][3];
}

/* a loop whose exit depends on a value the verifier never learns */
SEC("tp/syscalls/sys_enter_openat")
int loop_until_time(void *ctx)
{
	u64 start = bpf_ktime_get_ns();
	int n = 0;
	while (bpf_ktime_get_ns() - start < 1000)
		n++;
	return n;
}
