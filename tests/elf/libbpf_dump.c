/* Prints the instructions libbpf hands to the kernel for every program of an object:
 * after bpf_object__load() (successful or not, relocation has run by then), CO-RE
 * applied, subprograms appended, map fds and kfunc BTF ids in place. One line per
 * 8-byte slot: "code dst src off imm". Built by tests/elf/test_core_libbpf.py. */
#include <stdio.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
		return 2;
	}
	libbpf_set_print(quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 1;
	}
	printf("load %d\n", bpf_object__load(obj));
	bpf_object__for_each_program(prog, obj) {
		const struct bpf_insn *insn = bpf_program__insns(prog);
		size_t n = bpf_program__insn_cnt(prog);

		printf("prog %s %zu\n", bpf_program__name(prog), n);
		for (size_t i = 0; i < n; i++)
			printf("%u %u %u %d %d\n", insn[i].code, insn[i].dst_reg, insn[i].src_reg,
			       insn[i].off, insn[i].imm);
	}
	bpf_object__close(obj);
	return 0;
}
