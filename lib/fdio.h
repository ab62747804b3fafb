/*
 * Writing to descriptors that may be non-blocking or interrupted.
 */
#ifndef FDIO_H
#define FDIO_H

#include <stddef.h>

/*
 * Write all of buf[0..len) to fd, going on after signals and partial
 * writes, and waiting for a non-blocking descriptor to take more.
 * Returns 0 or a negative errno value.
 */
int fdio_write_all(int fd, const void *buf, size_t len);

#endif
