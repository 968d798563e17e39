/*
 * relay_statedb.h - durable state in SQLite for `mock-relay --state PATH` (SPEC.md §14).
 *
 * Every entity the stores hold (tenant, conversation, message, operator, visitor
 * session, callback delivery) is one row of the table `entity`: its kind, its id,
 * indexed keys (tenant, parent) and its JSON text. The stores call statedb_put() /
 * statedb_del() with their own lock held, once per mutation, so the rows are written
 * in the order the mutations happened; the calls only queue the row. One writer
 * thread commits whatever is queued in one transaction (group commit). Before a
 * request's response is queued, the HTTP layer calls statedb_sync(), which waits
 * until every row that request's thread queued is committed: a 2xx is sent only
 * for a committed write (§14.2).
 *
 * Without --state the stores hold a NULL struct statedb and every hook is one
 * pointer test: no JSON is built and nothing is queued.
 *
 * The file: `PRAGMA application_id` = STATEDB_APP_ID, `PRAGMA user_version` = the
 * schema version. Older versions are migrated in place; a newer version or a file
 * that is not a mock-relay state file is refused and left untouched. The process
 * holds an exclusive flock(2) on the file for its lifetime, so a second mock on the
 * same file is refused (§14.4).
 */
#ifndef RELAY_STATEDB_H
#define RELAY_STATEDB_H

#include <stddef.h>
#include <stdint.h>

#include "relay_rc.h"

#define STATEDB_APP_ID         0x426c6f6f /* "Bloo" */
#define STATEDB_SCHEMA_VERSION 2
#define STATEDB_BATCH_MAX      1024  /* rows per transaction at most */
#define STATEDB_QUEUE_MAX      65536 /* rows queued at most; past it writers wait */

/* Exit codes of mock-relay when --state cannot be used (docs/man/mock-relay.1). */
#define STATEDB_EXIT_IO      3 /* cannot open, create, read or write the file */
#define STATEDB_EXIT_REFUSED 4 /* newer schema version, or not a mock-relay state file */
#define STATEDB_EXIT_LOCKED  5 /* another mock-relay holds the file */

/* Kinds of rows (the `kind` column). */
#define STATEDB_TENANT       "tenant"
#define STATEDB_CONVERSATION "conversation"
#define STATEDB_MESSAGE      "message"
#define STATEDB_OPERATOR     "operator"
#define STATEDB_SESSION      "session"
#define STATEDB_CALLBACK     "callback"
#define STATEDB_TRIGGER      "trigger" /* a tenant's escalation phrase (§10.8.1), id = tenant */

struct statedb;
struct relay_state;

/*
 * Opens (or creates, mode 0600) the state file at path, takes its lock, checks its
 * version and migrates an older one, and starts the writer thread. NULL on failure,
 * with *exit_code one of STATEDB_EXIT_* and a one-line reason in err.
 * Free with statedb_close().
 */
struct statedb *statedb_open(const char *path, char *err, size_t err_size, int *exit_code);

/* Commits what is queued, stops the writer, closes the file and releases the lock. */
void statedb_close(struct statedb *db);

/*
 * Loads every row into st's stores (in the order they were first written) and the
 * visitor-token signing key into st->token_key (or stores st's key when the file
 * has none). Call before the stores are attached (statedb_attach) and before any
 * request is served. RELAY_E_IO with a reason in err when the file cannot be read.
 */
RELAY_WUR enum relay_rc statedb_load(struct statedb *db, struct relay_state *st, char *err,
				     size_t err_size);

/* Hands db to every store of st, so their mutations are written from now on. */
void statedb_attach(struct statedb *db, struct relay_state *st);

/*
 * Queues the upsert of row (kind, id). tenant and parent (may be NULL) are the
 * indexed keys, at_ms the entity's creation time. body (JSON text, malloc'd) is
 * stolen, freed even on failure; NULL body counts as out of memory. A failure is
 * remembered for this thread's next statedb_sync(). Call with the store's lock held.
 */
void statedb_put(struct statedb *db, const char *kind, const char *id, const char *tenant,
		 const char *parent, int64_t at_ms, char *body);

/* Queues the deletion of row (kind, id). */
void statedb_del(struct statedb *db, const char *kind, const char *id);

/* Queues the deletion of every row (§10.1 reset); the token key is kept. */
void statedb_clear(struct statedb *db);

/*
 * Waits until every row this thread queued is committed. RELAY_OK (also when it
 * queued nothing), or RELAY_E_STATE_UNAVAILABLE when one of them could not be
 * queued or committed. After a failed commit every later write fails too, until
 * restart (§14.2).
 */
RELAY_WUR enum relay_rc statedb_sync(void);

#endif
