/* A u32 map key used again after a second lookup: as the key of another map, and as an
 * index into a map value's array (the key's bounds live in its stack slot, which both
 * lookups read through a pointer). */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct slots {
	u64 hits[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, struct slots);
} table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct slots);
} one SEC(".maps");

/* the key bounded once, then read by two lookups and used as an index */
SEC("tp/syscalls/sys_enter_getpid")
int key_index_after_two_lookups(void *ctx)
{
	u32 key = bpf_get_prandom_u32() & 15;
	u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (!n)
		return 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
	s->hits[key] += *n;
	return 0;
}

/* the same with the bound checked by a comparison, not a mask */
SEC("tp/syscalls/sys_enter_getpid")
int key_checked_index_after_two_lookups(void *ctx)
{
	u32 key = bpf_get_prandom_u32();
	if (key >= 16)
		return 0;
	u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (!n)
		return 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
	s->hits[key] += 1;
	return 0;
}

/* the key from a map value, bounded, then reused as another lookup's key and an index */
SEC("tp/syscalls/sys_enter_getpid")
int key_from_value_reused(void *ctx)
{
	u32 zero = 0;
	struct slots *cfg = bpf_map_lookup_elem(&one, &zero);
	if (!cfg)
		return 0;
	u32 key = cfg->hits[0];
	if (key > 15)
		return 0;
	u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (n)
		*n += 1;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
	s->hits[key] = key;
	cfg->hits[key] += 1;
	return 0;
}

/* the key in an 8-byte aligned slot: its 4-byte spill keeps the bounds */
SEC("tp/syscalls/sys_enter_getpid")
int aligned_key_index_after_two_lookups(void *ctx)
{
	u32 key __attribute__((aligned(8))) = bpf_get_prandom_u32() & 15;
	u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (!n)
		return 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
	s->hits[key] += *n;
	return 0;
}

/* the same with the bound checked by a comparison */
SEC("tp/syscalls/sys_enter_getpid")
int aligned_key_checked_after_two_lookups(void *ctx)
{
	u32 key __attribute__((aligned(8))) = bpf_get_prandom_u32();
	if (key >= 16)
		return 0;
	u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (!n)
		return 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
	s->hits[key] += 1;
	return 0;
}

/* one map looked up twice with the same key, the key then an index into a stack array */
SEC("tp/syscalls/sys_enter_getpid")
int same_map_twice_stack_index(void *ctx)
{
	u64 buf[16] = {};
	u32 key __attribute__((aligned(8))) = bpf_get_prandom_u32() & 15;
	u64 *a = bpf_map_lookup_elem(&seen, &key);
	if (!a)
		return 0;
	*a += 1;
	u64 *b = bpf_map_lookup_elem(&seen, &key);
	if (!b)
		return 0;
	buf[key] = *b;
	return buf[3] > 10;
}

/* the key's bound kept in a register across both lookups (clang keeps the value) */
SEC("tp/syscalls/sys_enter_getpid")
int key_in_register_and_slot(void *ctx)
{
	u32 key __attribute__((aligned(8))) = bpf_get_smp_processor_id() & 15;
	u32 idx = key;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
	u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (!n)
		return 0;
	s->hits[idx] += *n;
	s->hits[key] += 1;
	return 0;
}

/* mistake: the key is bounded for the table (16 entries) but not for the index (8 slots) */
SEC("tp/syscalls/sys_enter_getpid")
int key_index_too_wide(void *ctx)
{
	u32 key = bpf_get_prandom_u32() & 31;
	u64 *n = bpf_map_lookup_elem(&seen, &key);
	if (!n)
		return 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
	s->hits[key] += 1;
	return 0;
}
