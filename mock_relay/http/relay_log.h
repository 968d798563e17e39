/*
 * relay_log.h - one line per request on stderr (SPEC §10.3).
 *
 * Method, path (never the query: it can carry a visitor token), status, tenant,
 * error code and duration in microseconds, as text or JSON. Secrets never reach
 * this module.
 *
 * Each thread gathers its lines in its own buffer of LOG_BUF_MAX bytes (no lock
 * shared between threads on the way in) and writes whole lines only, in one
 * write(2) of at most PIPE_BUF bytes: lines from different threads never
 * interleave. A buffer goes to stderr when the next line would not fit, when
 * log_flush() is called (relay_http calls it before it queues the answer of the
 * only request in flight when one connection at most is open, so a client that
 * waits for each answer finds each line written, and when that request ends; with
 * more connections open, one write(2) per request would cost more than the rest of
 * a signed call), by a flusher thread at most
 * LOG_FLUSH_MS after its first line, and at log_stop().
 * Without log_start() (or when its thread cannot start) every line is written at
 * once.
 */
#ifndef RELAY_LOG_H
#define RELAY_LOG_H

#include "relay_journal.h"

#define LOG_LINE_MAX 1024 /* longer lines are truncated */
#define LOG_BUF_MAX  4096 /* per thread; PIPE_BUF, so one write(2) is atomic on a pipe */
#define LOG_FLUSH_MS 100  /* the longest a line waits in a buffer */

enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };

/* Starts the flusher thread; false when it cannot (lines are then written at once). */
bool log_start(void);

/* Writes every buffered line, stops the flusher and frees the buffers. */
void log_stop(void);

/* Adds e's line to this thread's buffer (see above). */
void log_request(enum log_format format, const struct journal_entry *e);

/* Writes every thread's buffered lines now. */
void log_flush(void);

#endif
