/* async_write.h — one write in flight on a background thread, so that a
 * producer (hone quantize's thread pool) fills the next buffer while the
 * previous one goes to the file: the copy into the page cache costs about
 * as much as quantizing to Q8_0, and now overlaps it.
 *
 * One buffer is queued at a time; submitting waits for the previous write
 * to finish, so with two buffers used in turn the producer never touches a
 * buffer being written. The stream must not be used directly between a
 * submit and the next wait.
 */
#ifndef HONE_ASYNC_WRITE_H
#define HONE_ASYNC_WRITE_H

#include "gguf_write.h"
#include "status.h"

typedef struct hone_async_out hone_async_out;

hone_status hone_async_out_start(hone_out_stream *out, hone_async_out **a, hone_error *err);
/* Wait for the queued write, then queue buf[0, n) (kept untouched by the
 * caller until the next submit or wait returns). A failed earlier write
 * is returned here (or by wait) and nothing more is written. */
hone_status hone_async_out_submit(hone_async_out *a, const void *buf, size_t n, hone_error *err);
/* Wait until nothing is queued; the status of the writes so far. */
hone_status hone_async_out_wait(hone_async_out *a, hone_error *err);
/* Wait, then stop the thread. NULL is a no-op. */
void hone_async_out_stop(hone_async_out *a);

#endif
