// message: infinite_loop
// kind: program
// hint: for (int i = 0; i < N; i++)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int spin(struct __sk_buff *skb)
{
	/* wait for a random number that is not 7 */
#ifdef FIXED
	for (int i = 0; i < 8; i++)
#else
	for (;;)
#endif
		if (bpf_get_prandom_u32() != 7) /* FAIL */
			break;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
