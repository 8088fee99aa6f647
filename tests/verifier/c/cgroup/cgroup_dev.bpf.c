/* cgroup/dev device policy: access type and major/minor from bpf_cgroup_dev_ctx. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define DEV_TYPE_CHAR 2
#define ACC_MKNOD 1

SEC("cgroup/dev")
int dev_policy(struct bpf_cgroup_dev_ctx *ctx)
{
	u16 type = ctx->access_type & 0xffff;
	u16 access = ctx->access_type >> 16;
	if (type != DEV_TYPE_CHAR)
		return 0;
	if (access & ACC_MKNOD)
		return 0;
	/* /dev/null, /dev/zero, /dev/urandom */
	if (ctx->major == 1 && (ctx->minor == 3 || ctx->minor == 5 || ctx->minor == 9))
		return 1;
	return 0;
}

/* mistake: the device context is read-only */
SEC("cgroup/dev")
int dev_write(struct bpf_cgroup_dev_ctx *ctx)
{
	ctx->major = 0;
	return 1;
}

/* mistake: a read past the end of bpf_cgroup_dev_ctx */
SEC("cgroup/dev")
int dev_past_end(struct bpf_cgroup_dev_ctx *ctx)
{
	return *(u32 *)((char *)ctx + sizeof(*ctx));
}

SEC("cgroup/dev")
int dev_current(struct bpf_cgroup_dev_ctx *ctx)
{
	u64 id = bpf_get_current_cgroup_id();
	return id != 0 && ctx->major != 10;
}
