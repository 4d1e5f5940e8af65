/* ringbuf: a fixed-capacity byte ring buffer for line-oriented protocols. */
#ifndef RINGBUF_H
#define RINGBUF_H

#include <stddef.h>
#include <stdint.h>

/* Largest ring ringbuf_init accepts. */
#define RINGBUF_MAX_CAPACITY 32768

struct ringbuf {
	unsigned char *data;
	size_t capacity;
	size_t head; /* index of the next byte to read */
	size_t len;  /* bytes stored */
};

/* Returns 0, or -1 when capacity is 0, above RINGBUF_MAX_CAPACITY, or memory is short. */
int ringbuf_init(struct ringbuf *rb, size_t capacity);
void ringbuf_free(struct ringbuf *rb);

size_t ringbuf_len(const struct ringbuf *rb);
size_t ringbuf_space(const struct ringbuf *rb);

/* Copies up to n bytes in or out; returns how many were copied. */
size_t ringbuf_write(struct ringbuf *rb, const void *src, size_t n);
size_t ringbuf_read(struct ringbuf *rb, void *dst, size_t n);

/* Reads a little-endian 32-bit value without consuming it; -1 when fewer than 4 bytes are stored. */
int ringbuf_peek_u32(const struct ringbuf *rb, uint32_t *out);

/*
 * Consumes the next '\n'-terminated line and stores it, without the '\n', in out as a
 * NUL-terminated string of at most outsize bytes. Returns the stored length, or -1 when no
 * complete line is buffered or outsize is 0.
 */
long ringbuf_read_line(struct ringbuf *rb, char *out, size_t outsize);

#endif
