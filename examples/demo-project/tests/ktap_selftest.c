/* A stress selftest of ringbuf printed as KTAP (kernel selftest format) on stdout ("make ktap"). */
#include <stdio.h>
#include <string.h>

#include "ringbuf.h"

#define ROUNDS 10000

/* Pushes and pops ROUNDS records through a small ring; returns 1 when every byte came back. */
static int churn(size_t capacity, size_t record)
{
	struct ringbuf rb;
	unsigned char in[64], out[64];
	int round, passed = 1;

	if (record > sizeof(in) || ringbuf_init(&rb, capacity))
		return 0;
	for (round = 0; round < ROUNDS && passed; round++) {
		memset(in, round & 0xff, record);
		passed = ringbuf_write(&rb, in, record) == record && ringbuf_read(&rb, out, record) == record &&
			 memcmp(in, out, record) == 0;
	}
	ringbuf_free(&rb);
	return passed;
}

static int lines(void)
{
	struct ringbuf rb;
	char line[8];
	int round, passed = 1;

	if (ringbuf_init(&rb, 16))
		return 0;
	for (round = 0; round < ROUNDS && passed; round++)
		passed = ringbuf_write(&rb, "ping\n", 5) == 5 && ringbuf_read_line(&rb, line, sizeof(line)) == 4;
	ringbuf_free(&rb);
	return passed;
}

static int report(int index, const char *name, int passed)
{
	printf("    %s %d %s\n", passed ? "ok" : "not ok", index, name);
	return passed;
}

int main(void)
{
	int passed = 1;

	printf("KTAP version 1\n1..1\n");
	printf("    KTAP version 1\n    # Subtest: ringbuf_stress\n    1..3\n");
	passed &= report(1, "churn_aligned", churn(64, 16));
	passed &= report(2, "churn_odd_sizes", churn(37, 7));
	passed &= report(3, "line_ping_pong", lines());
	printf("%s 1 ringbuf_stress\n", passed ? "ok" : "not ok");
	fflush(stdout);
	return passed ? 0 : 1;
}
