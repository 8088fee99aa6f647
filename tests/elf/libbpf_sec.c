/* For each section name on stdin, prints what libbpf makes of it:
 * "<name> <prog type> <expected attach type>" or "<name> unknown".
 * Built by tests/elf/test_sections_libbpf.py. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

int main(void)
{
	char line[512];

	libbpf_set_print(quiet);
	while (fgets(line, sizeof(line), stdin)) {
		enum bpf_prog_type type;
		enum bpf_attach_type attach;

		line[strcspn(line, "\n")] = 0;
		if (libbpf_prog_type_by_name(line, &type, &attach))
			printf("%s unknown\n", line);
		else
			printf("%s %d %d\n", line, (int)type, (int)attach);
	}
	return 0;
}
