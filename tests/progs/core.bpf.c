// Every CO-RE relocation kind, resolved against the running kernel by the loader.
// Compiled with the vmlinux.h that pybpf's own BTF printer generates.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* A local "flavor" of task_struct: other field order, a field the kernel lacks. */
struct task_struct___mine {
	int no_such_field;
	char comm[16];
	int tgid;
	int pid;
} __attribute__((preserve_access_index));

enum bpf_map_type___mine { BPF_MAP_TYPE_RINGBUF___mine = 1234, BPF_MAP_TYPE_NOPE___mine = 99 };

const volatile int target_pid = 0;
__u64 out[24];

SEC("tp/syscalls/sys_enter_getpid")
int core_probe(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct___mine *m = (void *)t;

	out[0] = BPF_CORE_READ(t, tgid);                                  /* byte offset */
	out[1] = BPF_CORE_READ(m, pid);                                   /* byte offset, flavor */
	out[2] = bpf_core_field_exists(m->no_such_field);                 /* exists: 0 */
	out[3] = bpf_core_field_exists(t->pid);                           /* exists: 1 */
	out[4] = bpf_core_field_size(t->comm);                            /* byte size */
	out[5] = __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED); /* signed */
	out[6] = __builtin_preserve_field_info(t->in_execve, BPF_FIELD_LSHIFT_U64);
	out[7] = __builtin_preserve_field_info(t->in_execve, BPF_FIELD_RSHIFT_U64);
	out[8] = __builtin_preserve_field_info(t->in_execve, BPF_FIELD_BYTE_OFFSET);
	out[9] = bpf_core_type_exists(struct task_struct);
	out[10] = bpf_core_type_exists(struct task_struct___mine);        /* flavor exists */
	out[11] = bpf_core_type_size(struct task_struct);
	out[12] = bpf_core_type_id_kernel(struct task_struct);
	out[13] = bpf_core_enum_value_exists(enum bpf_map_type___mine, BPF_MAP_TYPE_RINGBUF___mine);
	out[14] = bpf_core_enum_value(enum bpf_map_type___mine, BPF_MAP_TYPE_RINGBUF___mine);
	out[15] = bpf_core_enum_value_exists(enum bpf_map_type___mine, BPF_MAP_TYPE_NOPE___mine);
	out[16] = bpf_core_type_matches(struct task_struct___mine);       /* no: extra field */
	char comm[16];
	BPF_CORE_READ_STR_INTO(&comm, m, comm);
	__builtin_memcpy(&out[17], comm, 16);
	out[19] = bpf_core_type_id_local(struct task_struct___mine) != 0;
	out[20] = 0xc0de;
	return 0;
}
