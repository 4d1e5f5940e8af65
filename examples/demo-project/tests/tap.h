/* A minimal TAP 13 producer: a table of named cases, one "ok"/"not ok" line each. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>

struct tap_case {
	const char *name;
	int (*run)(void); /* returns 1 on success */
};

/* Runs every case in order; returns the process exit status (0 when all passed). */
static int tap_run(const struct tap_case *cases, size_t count)
{
	size_t i;
	int failed = 0;

	printf("TAP version 13\n1..%zu\n", count);
	for (i = 0; i < count; i++) {
		int passed = cases[i].run();

		printf("%s %zu - %s\n", passed ? "ok" : "not ok", i + 1, cases[i].name);
		failed += !passed;
	}
	if (failed)
		printf("# %d of %zu failed\n", failed, count);
	fflush(stdout);
	return failed ? 1 : 0;
}

#endif
