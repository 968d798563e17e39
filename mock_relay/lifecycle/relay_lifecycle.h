/*
 * relay_lifecycle.h - a conversation's life: bot, escalation, tickets, operators
 * and queues, and the callbacks those flows fire (SPEC.md §9.6-§9.8, §10.8).
 *
 * The state itself lives with the conversation (struct conv_life in conv_store.h)
 * and only changes through conv_store_life_apply(), under the conversation's lock; the
 * events a change causes are queued there too, so one conversation's callbacks
 * are queued in the order of its changes, and relay_callbacks delivers them in
 * that order (§9.5.6). Frames for the widget socket are pushed after the lock.
 *
 * This module also keeps each tenant's escalation trigger (a phrase set through
 * the control plane, §10.8.1).
 */
#ifndef RELAY_LIFECYCLE_H
#define RELAY_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conv_store.h"
#include "operator_store.h"
#include "relay_rc.h"

#define LIFECYCLE_PHRASE_MAX   200 /* §10.8.1, characters */
#define LIFECYCLE_TRIGGERS_MAX 10000
#define LIFECYCLE_BOT_REPLY    "Thanks for your message. I am the assistant of this mock relay."

struct relay_state;
struct lifecycle;

/* New empty trigger table; NULL when out of memory. */
struct lifecycle *lifecycle_new(void);
void lifecycle_free(struct lifecycle *lc);

/* Forget every trigger (§10.1). */
void lifecycle_reset(struct lifecycle *lc);

/*
 * Set (phrase not NULL, 1-LIFECYCLE_PHRASE_MAX chars) or clear (NULL) the tenant's
 * escalation phrase. RELAY_E_CAPACITY_EXCEEDED past LIFECYCLE_TRIGGERS_MAX tenants.
 */
RELAY_WUR enum relay_rc lifecycle_set_trigger(struct lifecycle *lc, const char *tenant_id,
					      const char *phrase);

struct statedb;

/* §14: from now on every phrase set or cleared is queued for db (NULL: none). */
void lifecycle_set_statedb(struct lifecycle *lc, struct statedb *db);

/*
 * §14: a phrase from the state file ({"tenant_id","phrase"}), not written back.
 * RELAY_E_INVALID_ARGUMENT when malformed, RELAY_E_CAPACITY_EXCEEDED past the cap.
 */
RELAY_WUR enum relay_rc lifecycle_load(struct lifecycle *lc, const json_t *obj);

/* true when content contains the tenant's phrase, ASCII case-insensitively. */
bool lifecycle_trigger_matches(struct lifecycle *lc, const char *tenant_id, const char *content,
			       size_t content_len);

/*
 * §2.3.4: count one visitor message against the tenant's monthly_msg_quota (0: no
 * quota) in the UTC calendar month of now_ms (mock clock). RELAY_E_QUOTA_EXCEEDED,
 * not counted, once the month's count has reached quota.
 */
RELAY_WUR enum relay_rc lifecycle_quota_take(struct lifecycle *lc, const char *tenant_id,
					     int64_t quota, int64_t now_ms);

/* Give back a counted message that could not be stored (404, 507). */
void lifecycle_quota_refund(struct lifecycle *lc, const char *tenant_id, int64_t quota,
			    int64_t now_ms);

/*
 * The flow after a visitor message was stored (relay API or WebSocket, §9.6.1):
 * message-received, then, while the conversation is open, the human-mode
 * assignment or the phrase's escalation, else in bot mode the bot's reply.
 * msg (the stored message object) is stolen. trace (may be NULL) is an array to
 * which {"event","event_id"} is appended for every event queued.
 */
void lifecycle_visitor_message(struct relay_state *st, const char *tenant_id,
			       const char *conversation_id, json_t *msg, json_t *trace);

/*
 * §9.6.2: hand an open conversation to the human queue (escalation-triggered,
 * ticket-created). RELAY_E_CONVERSATION_STATE unless open. *conv (may be NULL)
 * receives the conversation object after.
 */
RELAY_WUR enum relay_rc lifecycle_escalate(struct relay_state *st, const char *tenant_id,
					   const char *conversation_id, const char *reason,
					   json_t *trace, json_t **conv);

enum lifecycle_action { LC_TAKE, LC_RELEASE, LC_RESOLVE };

/*
 * §9.7.3: an operator action. RELAY_E_INSUFFICIENT_SCOPE when op's routing_keys do
 * not cover the conversation's queue; RELAY_E_CONVERSATION_STATE when its status
 * does not allow the action.
 */
RELAY_WUR enum relay_rc lifecycle_operator_act(struct relay_state *st, const char *tenant_id,
					       const struct operator_view *op,
					       const char *conversation_id,
					       enum lifecycle_action action, json_t *trace,
					       json_t **conv);

/*
 * §9.7.4: op sends a message in a conversation assigned to it (role operator,
 * pushed to the visitor's sockets). *msg receives the message object.
 */
RELAY_WUR enum relay_rc lifecycle_operator_send(struct relay_state *st, const char *tenant_id,
						const struct operator_view *op,
						const char *conversation_id, const char *content,
						size_t content_len, json_t **msg);

/* §9.7.5: the pending and assigned conversations op may see, oldest first. */
RELAY_WUR enum relay_rc lifecycle_queue(struct relay_state *st, const char *tenant_id,
					const struct operator_view *op, size_t limit, size_t offset,
					json_t **page);

/* §9.7.2: true when op (routing_keys NULL or [] = tenant-wide) sees life's queue. */
bool lifecycle_operator_covers(const struct operator_view *op, const struct conv_life *life);

/*
 * Queue event for tenant_id (nothing without callback_url_base, §9.1.3) and note
 * it in trace (may be NULL). data is stolen.
 */
void lifecycle_emit(struct relay_state *st, const char *tenant_id, const char *event, json_t *data,
		    json_t *trace);

#endif
