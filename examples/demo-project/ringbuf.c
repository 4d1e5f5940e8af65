/* ringbuf: a fixed-capacity byte ring buffer for line-oriented protocols. */
#include <stdlib.h>
#include <string.h>

#include "ringbuf.h"

int ringbuf_init(struct ringbuf *rb, size_t capacity)
{
	if (capacity == 0 || capacity > RINGBUF_MAX_CAPACITY)
		return -1;
	rb->data = malloc(capacity);
	if (!rb->data)
		return -1;
	rb->capacity = capacity;
	rb->head = 0;
	rb->len = 0;
	return 0;
}

void ringbuf_free(struct ringbuf *rb)
{
	free(rb->data);
	rb->data = NULL;
	rb->capacity = rb->head = rb->len = 0;
}

size_t ringbuf_len(const struct ringbuf *rb)
{
	return rb->len;
}

size_t ringbuf_space(const struct ringbuf *rb)
{
	return rb->capacity - rb->len;
}

static unsigned char byte_at(const struct ringbuf *rb, size_t offset)
{
	return rb->data[(rb->head + offset) % rb->capacity];
}

size_t ringbuf_write(struct ringbuf *rb, const void *src, size_t n)
{
	const unsigned char *bytes = src;
	size_t i;

	if (n > ringbuf_space(rb))
		n = ringbuf_space(rb);
	for (i = 0; i < n; i++)
		rb->data[(rb->head + rb->len + i) % rb->capacity] = bytes[i];
	rb->len += n;
	return n;
}

size_t ringbuf_read(struct ringbuf *rb, void *dst, size_t n)
{
	unsigned char *bytes = dst;
	size_t i;

	if (n > rb->len)
		n = rb->len;
	for (i = 0; i < n; i++)
		bytes[i] = byte_at(rb, i);
	rb->head = (rb->head + n) % rb->capacity;
	rb->len -= n;
	return n;
}

int ringbuf_peek_u32(const struct ringbuf *rb, uint32_t *out)
{
	uint32_t value = 0;
	int i;

	if (rb->len < 4)
		return -1;
	for (i = 3; i >= 0; i--)
		value = (value << 8) | byte_at(rb, (size_t)i);
	*out = value;
	return 0;
}

long ringbuf_read_line(struct ringbuf *rb, char *out, size_t outsize)
{
	size_t i, n = 0;

	if (outsize == 0)
		return -1;
	for (i = 0; i < rb->len; i++) {
		unsigned char c = byte_at(rb, i);

		if (c == '\n')
			break;
		if (n < outsize)
			out[n++] = (char)c;
	}
	if (i == rb->len)
		return -1;
	rb->head = (rb->head + i + 1) % rb->capacity;
	rb->len -= i + 1;
	out[n] = '\0';
	return (long)n;
}
