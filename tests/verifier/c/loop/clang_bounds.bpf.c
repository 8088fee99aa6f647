/* Bounds that clang -O2 keeps or loses: a check on a 32-bit copy while the 64-bit
 * register indexes, a bound checked on one variable and used through another,
 * and the usual fixes (masks, volatile, barrier_var). */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[256]);
} buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} cfg SEC(".maps");

SEC("tp/syscalls/sys_enter_write")
int idx_checked(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	u32 *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	u32 i = *c;
	if (i >= 256)
		return 0;
	return b[i];
}

/* mistake: signed index checked only from above */
SEC("tp/syscalls/sys_enter_write")
int idx_signed(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	int *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	int i = *c;
	if (i >= 256)
		return 0;
	return b[i];
}

/* a length read from memory, bounded, then used as a helper size */
SEC("tp/syscalls/sys_enter_write")
int size_checked(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	u32 *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	u32 n = *c;
	if (n > 255)
		n = 255;
	bpf_get_current_comm(b, n & 0xff);
	return 0;
}

/* mistake: a size of zero is possible where the helper needs at least one byte */
SEC("tp/syscalls/sys_enter_write")
int size_zero(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	u32 *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	bpf_probe_read_kernel(b, *c & 0xff, (void *)bpf_get_current_task());
	return 0;
}

/* the bound is checked in a loop, the index recomputed from it */
SEC("tp/syscalls/sys_enter_write")
int copy_loop(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	u32 *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	u32 n = *c;
	for (u32 i = 0; i < 64; i++) {
		if (i >= n)
			break;
		b[i + 64] = b[i];
	}
	return 0;
}

/* the offset is bounded, then widened by an addition the verifier follows */
SEC("tp/syscalls/sys_enter_write")
int offset_sum(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	u32 *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	u32 a = *c & 0x7f;
	u32 d = (*c >> 8) & 0x7f;
	return b[a + d];
}

/* mistake: the sum of two bounded offsets runs past the value */
SEC("tp/syscalls/sys_enter_write")
int offset_sum_oob(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	u32 *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	u32 a = *c & 0xff;
	u32 d = (*c >> 8) & 0xff;
	return b[a + d];
}

/* the check and the use on different copies; barrier_var keeps them in one register */
SEC("tp/syscalls/sys_enter_write")
int barrier_kept(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	u32 *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	u64 i = *c;
	corpus_barrier_var(i);
	if (i > 200)
		return 0;
	return b[i + 50];
}

/* mistake: the bound is checked on a value and a different load is used */
SEC("tp/syscalls/sys_enter_write")
int reload_after_check(void *ctx)
{
	u32 zero = 0;
	char *b = bpf_map_lookup_elem(&buf, &zero);
	volatile u32 *c = bpf_map_lookup_elem(&cfg, &zero);
	if (!b || !c)
		return 0;
	if (*c >= 256)
		return 0;
	return b[*c];
}
