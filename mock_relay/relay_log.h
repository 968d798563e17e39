/*
 * relay_log.h - one line per request on stderr (SPEC.md §10.3).
 *
 * Method, path (never the query: it can carry a visitor token), status, tenant,
 * error code and duration in microseconds, as text or JSON. Each line is one
 * write(2) of a buffer built on the stack: lines from different threads never
 * interleave and no lock is taken. Secrets never reach this module.
 */
#ifndef RELAY_LOG_H
#define RELAY_LOG_H

#include "relay_journal.h"
#include "relay_state.h"

#define LOG_LINE_MAX 1024 /* longer lines are truncated */

void log_request(enum log_format format, const struct journal_entry *e);

#endif
