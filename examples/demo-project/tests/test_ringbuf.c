/* Unit tests of ringbuf, printed as TAP on stdout ("make check"). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringbuf.h"
#include "tap.h"

static int write_then_read(void)
{
	struct ringbuf rb;
	char out[8];
	int passed;

	if (ringbuf_init(&rb, 8))
		return 0;
	passed = ringbuf_write(&rb, "abcde", 5) == 5 && ringbuf_read(&rb, out, sizeof(out)) == 5 &&
		 memcmp(out, "abcde", 5) == 0 && ringbuf_len(&rb) == 0;
	ringbuf_free(&rb);
	return passed;
}

static int write_stops_when_full(void)
{
	struct ringbuf rb;
	int passed;

	if (ringbuf_init(&rb, 4))
		return 0;
	passed = ringbuf_write(&rb, "abcdef", 6) == 4 && ringbuf_space(&rb) == 0;
	ringbuf_free(&rb);
	return passed;
}

static int wraps_around(void)
{
	struct ringbuf rb;
	char out[4];
	int passed;

	if (ringbuf_init(&rb, 4))
		return 0;
	ringbuf_write(&rb, "abc", 3);
	ringbuf_read(&rb, out, 2);
	passed = ringbuf_write(&rb, "def", 3) == 3 && ringbuf_read(&rb, out, 4) == 4 &&
		 memcmp(out, "cdef", 4) == 0;
	ringbuf_free(&rb);
	return passed;
}

static int peek_u32_is_little_endian(void)
{
	struct ringbuf rb;
	uint32_t value = 0;
	int passed;

	if (ringbuf_init(&rb, 6))
		return 0;
	ringbuf_write(&rb, "\0\0\x01\x02\x03\x04", 6);
	ringbuf_read(&rb, &value, 2);
	ringbuf_write(&rb, "zz", 2);
	passed = ringbuf_peek_u32(&rb, &value) == 0 && value == 0x04030201 && ringbuf_len(&rb) == 6;
	ringbuf_free(&rb);
	return passed;
}

static int read_line_splits_lines(void)
{
	struct ringbuf rb;
	char line[16];
	int passed;

	if (ringbuf_init(&rb, 32))
		return 0;
	ringbuf_write(&rb, "hello\nworld\npartial", 19);
	passed = ringbuf_read_line(&rb, line, sizeof(line)) == 5 && strcmp(line, "hello") == 0 &&
		 ringbuf_read_line(&rb, line, sizeof(line)) == 5 && strcmp(line, "world") == 0 &&
		 ringbuf_read_line(&rb, line, sizeof(line)) == -1 && ringbuf_len(&rb) == 7;
	ringbuf_free(&rb);
	return passed;
}

/* A ring of one memory page; RINGBUF_PAGE_SIZE overrides the page size to emulate other hardware. */
static int holds_one_page(void)
{
	const char *forced = getenv("RINGBUF_PAGE_SIZE");
	size_t page = forced ? (size_t)strtoul(forced, NULL, 10) : (size_t)sysconf(_SC_PAGESIZE);
	struct ringbuf rb;

	if (ringbuf_init(&rb, page))
		return 0;
	ringbuf_free(&rb);
	return 1;
}

static const struct tap_case cases[] = {
	{ "write_then_read", write_then_read },
	{ "write_stops_when_full", write_stops_when_full },
	{ "wraps_around", wraps_around },
	{ "peek_u32_is_little_endian", peek_u32_is_little_endian },
	{ "read_line_splits_lines", read_line_splits_lines },
	{ "holds_one_page", holds_one_page },
};

int main(void)
{
	return tap_run(cases, sizeof(cases) / sizeof(cases[0]));
}
