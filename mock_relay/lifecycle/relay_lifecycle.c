/*
 * relay_lifecycle.c - bot, escalation, tickets, operators (see relay_lifecycle.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relay_callbacks.h"
#include "relay_lifecycle.h"
#include "relay_map.h"
#include "relay_statedb.h"
#include "relay_state.h"
#include "relay_ws.h"
#include "ws_push.h"

#define TRIGGER_SHARDS 16

/* What this module keeps per tenant: the escalation phrase and the month's count. */
struct lc_tenant {
	char *phrase;      /* lowercased; NULL: none */
	int64_t month;     /* §2.3.4: year * 12 + month (UTC) of the count */
	int64_t msg_count; /* visitor messages counted in that month */
};

struct trigger_shard {
	pthread_mutex_t lock;
	struct relay_map phrases; /* tenant id -> struct lc_tenant (owned) */
};

struct lifecycle {
	struct trigger_shard shards[TRIGGER_SHARDS];
	struct statedb *db; /* §14: NULL without --state */
	size_t n_tenants;   /* entries in all shards (__atomic builtins): the cap of §13 */
};

static struct trigger_shard *shard_of(struct lifecycle *lc, const char *tenant_id)
{
	return &lc->shards[map_shard(tenant_id, TRIGGER_SHARDS)]; /* the stores' shard rule */
}

static void lc_tenant_free(void *p)
{
	struct lc_tenant *t = p;

	if (t == NULL)
		return;
	free(t->phrase);
	free(t);
}

/* The tenant's entry, created when create is set; shard lock held. NULL: none / no room. */
static struct lc_tenant *lc_tenant_get(struct lifecycle *lc, struct trigger_shard *sh,
				       const char *tenant_id, bool create, enum relay_rc *rc)
{
	struct lc_tenant *t = map_get(&sh->phrases, tenant_id);

	*rc = RELAY_OK;
	if (t != NULL || !create)
		return t;
	*rc = RELAY_E_CAPACITY_EXCEEDED;
	if (__atomic_add_fetch(&lc->n_tenants, 1, __ATOMIC_RELAXED) > LIFECYCLE_TRIGGERS_MAX)
		goto undo;
	*rc = RELAY_E_NOMEM;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto undo;
	*rc = map_put(&sh->phrases, tenant_id, t);
	if (*rc == RELAY_OK)
		return t;
	free(t);
undo:
	__atomic_sub_fetch(&lc->n_tenants, 1, __ATOMIC_RELAXED);
	return NULL;
}

struct lifecycle *lifecycle_new(void)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));
	size_t i;

	if (lc == NULL)
		return NULL;
	for (i = 0; i < TRIGGER_SHARDS; i++) {
		pthread_mutex_init(&lc->shards[i].lock, NULL);
		map_init(&lc->shards[i].phrases);
	}
	return lc;
}

void lifecycle_free(struct lifecycle *lc)
{
	size_t i;

	if (lc == NULL)
		return;
	for (i = 0; i < TRIGGER_SHARDS; i++) {
		map_cleanup(&lc->shards[i].phrases, lc_tenant_free);
		pthread_mutex_destroy(&lc->shards[i].lock);
	}
	free(lc);
}

void lifecycle_reset(struct lifecycle *lc)
{
	size_t i;

	for (i = 0; i < TRIGGER_SHARDS; i++) {
		pthread_mutex_lock(&lc->shards[i].lock);
		map_cleanup(&lc->shards[i].phrases, lc_tenant_free);
		map_init(&lc->shards[i].phrases);
		pthread_mutex_unlock(&lc->shards[i].lock);
	}
	__atomic_store_n(&lc->n_tenants, 0, __ATOMIC_RELAXED);
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* §14: the phrase's row, {"tenant_id","phrase"} (malloc'd text, NULL: out of memory). */
static char *trigger_row(const char *tenant_id, const char *phrase)
{
	json_t *o = json_pack("{s:s, s:s?}", "tenant_id", tenant_id, "phrase", phrase);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return text;
}

enum relay_rc lifecycle_set_trigger(struct lifecycle *lc, const char *tenant_id, const char *phrase)
{
	struct trigger_shard *sh;
	struct lc_tenant *t;
	char *copy = NULL;
	size_t i;
	enum relay_rc rc = RELAY_OK;

	if (lc == NULL || tenant_id == NULL)
		return RELAY_E_INVALID_ARGUMENT;
	if (phrase != NULL) {
		copy = strdup(phrase);
		if (copy == NULL)
			return RELAY_E_NOMEM;
		for (i = 0; copy[i] != '\0'; i++)
			copy[i] = ascii_lower(copy[i]);
	}
	sh = shard_of(lc, tenant_id);
	pthread_mutex_lock(&sh->lock);
	t = lc_tenant_get(lc, sh, tenant_id, copy != NULL, &rc);
	if (t != NULL) {
		free(t->phrase);
		t->phrase = copy;
		copy = NULL;
	}
	if (lc->db != NULL && rc == RELAY_OK) { /* §14: under the shard lock, in order */
		if (phrase != NULL)
			statedb_put(lc->db, STATEDB_TRIGGER, tenant_id, tenant_id, NULL, 0,
				    trigger_row(tenant_id, t != NULL ? t->phrase : NULL));
		else
			statedb_del(lc->db, STATEDB_TRIGGER, tenant_id);
	}
	pthread_mutex_unlock(&sh->lock);
	free(copy);
	return rc;
}

void lifecycle_set_statedb(struct lifecycle *lc, struct statedb *db)
{
	lc->db = db;
}

enum relay_rc lifecycle_load(struct lifecycle *lc, const json_t *obj)
{
	const char *tenant_id = json_string_value(json_object_get(obj, "tenant_id"));
	const char *phrase = json_string_value(json_object_get(obj, "phrase"));

	if (lc == NULL || tenant_id == NULL || phrase == NULL || phrase[0] == '\0' ||
	    strlen(tenant_id) > 128 || strlen(phrase) > 4 * LIFECYCLE_PHRASE_MAX)
		return RELAY_E_INVALID_ARGUMENT;
	return lifecycle_set_trigger(lc, tenant_id, phrase);
}

bool lifecycle_trigger_matches(struct lifecycle *lc, const char *tenant_id, const char *content,
			       size_t content_len)
{
	struct trigger_shard *sh;
	const struct lc_tenant *t;
	const char *phrase;
	size_t i, j, n;
	bool hit = false;

	if (lc == NULL || tenant_id == NULL || content == NULL)
		return false;
	sh = shard_of(lc, tenant_id);
	pthread_mutex_lock(&sh->lock);
	t = map_get(&sh->phrases, tenant_id);
	phrase = t != NULL ? t->phrase : NULL;
	if (phrase != NULL) {
		n = strlen(phrase);
		for (i = 0; !hit && n <= content_len && i <= content_len - n; i++) {
			for (j = 0; j < n && ascii_lower(content[i + j]) == phrase[j]; j++)
				;
			hit = j == n;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return hit;
}

void lifecycle_emit(struct relay_state *st, const char *tenant_id, const char *event, json_t *data,
		    json_t *trace)
{
	char event_id[PREFIXED_ID_MAX + 1];
	enum relay_rc rc = RELAY_E_INVALID_ARGUMENT;

	if (st->callbacks != NULL) {
		/* no callback_url_base: nothing is queued (§9.1.3), the trace says so */
		rc = callbacks_enqueue(st->callbacks, tenant_id, event, data, event_id, NULL);
		data = NULL;
	}
	json_decref(data);
	if (trace != NULL)
		json_array_append_new(trace, json_pack("{s:s, s:s?}", "event", event, "event_id",
						       rc == RELAY_OK ? event_id : NULL));
}

/* "open" (pending), "assigned", "resolved": the ticket's status (§9.6.4). */
static const char *ticket_status(enum conv_status s)
{
	switch (s) {
	case CONV_ASSIGNED:
		return "assigned";
	case CONV_RESOLVED:
		return "resolved";
	default:
		return "open";
	}
}

/* The ticket object of §9.6.4 for the conversation object conv and its state. */
static json_t *ticket_json(const json_t *conv, const struct conv_life *l)
{
	char created[RFC3339_LEN + 1];

	ids_rfc3339(l->ticket_created_ms, created);
	return json_pack("{s:s, s:O, s:s?, s:s, s:s?, s:s}", "id", l->ticket_id, "conversation_id",
			 json_object_get(conv, "id"), "routing_key",
			 l->has_routing_key ? l->routing_key : NULL, "status",
			 ticket_status(l->status), "operator_id",
			 l->operator_id[0] != '\0' ? l->operator_id : NULL, "created_at", created);
}

/* What one change does; filled by the conv_life_fn, read by the done hook. */
struct change {
	struct relay_state *st;
	const char *tenant_id;
	json_t *trace;
	int64_t now_ms;
	/* inputs */
	enum { CH_VISITOR, CH_ESCALATE, CH_OPERATOR } kind;
	bool phrase_hit;
	const char *reason; /* escalation reason */
	const struct operator_view *op;
	enum lifecycle_action action;
	const char *acting_operator; /* operator id of the change (released: the old one) */
	/* outputs */
	struct conv_life after;
	const char *events[3];
	size_t n_events;
	const char *frame_reason; /* the status frame's reason, NULL: no frame */
	bool bot_reply;
};

/* §9.6.2: open → pending with a new ticket. */
static enum relay_rc open_ticket(struct change *ch, struct conv_life *life)
{
	enum relay_rc rc = ids_prefixed("tkt_", ch->now_ms, life->ticket_id);

	if (rc != RELAY_OK)
		return rc;
	life->ticket_created_ms = ch->now_ms;
	life->status = CONV_PENDING;
	return RELAY_OK;
}

static enum relay_rc change_fn(void *ctx, struct conv_life *life)
{
	struct change *ch = ctx;
	enum relay_rc rc = RELAY_OK;

	switch (ch->kind) {
	case CH_VISITOR:
		if (life->status != CONV_OPEN)
			break; /* pending, assigned, resolved: stored, no bot (§9.6.5) */
		if (life->human) {
			rc = open_ticket(ch, life);
			ch->events[ch->n_events++] = "ticket-created";
			ch->frame_reason = "human_mode";
			ch->reason = "human_mode";
		} else if (ch->phrase_hit) {
			rc = open_ticket(ch, life);
			ch->events[ch->n_events++] = "escalation-triggered";
			ch->events[ch->n_events++] = "ticket-created";
			ch->frame_reason = "escalated";
			ch->reason = "trigger_phrase";
		} else {
			ch->bot_reply = true;
		}
		break;
	case CH_ESCALATE:
		if (life->status != CONV_OPEN)
			return RELAY_E_CONVERSATION_STATE;
		rc = open_ticket(ch, life);
		ch->events[ch->n_events++] = "escalation-triggered";
		ch->events[ch->n_events++] = "ticket-created";
		ch->frame_reason = "escalated";
		break;
	case CH_OPERATOR:
		if (!lifecycle_operator_covers(ch->op, life))
			return RELAY_E_INSUFFICIENT_SCOPE;
		ch->acting_operator = ch->op->operator_id;
		if (ch->action == LC_TAKE) {
			if (life->status != CONV_PENDING)
				return RELAY_E_CONVERSATION_STATE;
			life->status = CONV_ASSIGNED;
			snprintf(life->operator_id, sizeof(life->operator_id), "%s",
				 ch->op->operator_id);
			ch->events[ch->n_events++] = "agent-assigned";
			ch->events[ch->n_events++] = "ticket-assigned";
			ch->frame_reason = "assigned";
			break;
		}
		if (life->status != CONV_ASSIGNED ||
		    strcmp(life->operator_id, ch->op->operator_id) != 0)
			return RELAY_E_CONVERSATION_STATE;
		if (ch->action == LC_RELEASE) {
			life->status = CONV_PENDING;
			life->operator_id[0] = '\0';
			ch->events[ch->n_events++] = "agent-released";
			ch->frame_reason = "released";
		} else {
			life->status = CONV_RESOLVED;
			ch->events[ch->n_events++] = "agent-resolved";
			ch->events[ch->n_events++] = "ticket-resolved";
			ch->frame_reason = "resolved";
		}
		break;
	}
	if (rc == RELAY_OK)
		ch->after = *life;
	return rc;
}

/* Under the conversation's lock: queue the change's events in order (§9.5.6). */
static void change_done(void *ctx, const json_t *conv)
{
	struct change *ch = ctx;
	const struct conv_life *l = &ch->after;
	size_t i;

	for (i = 0; i < ch->n_events; i++) {
		const char *ev = ch->events[i];
		json_t *data = json_pack("{s:O, s:O, s:o, s:s?}", "conversation_id",
					 json_object_get(conv, "id"), "conversation", conv,
					 "ticket", ticket_json(conv, l), "routing_key",
					 l->has_routing_key ? l->routing_key : NULL);

		if (data == NULL)
			continue;
		if (strcmp(ev, "escalation-triggered") == 0)
			json_object_set_new(data, "reason", json_string(ch->reason));
		if (ch->acting_operator != NULL)
			json_object_set_new(data, "operator_id", json_string(ch->acting_operator));
		lifecycle_emit(ch->st, ch->tenant_id, ev, data, ch->trace);
	}
}

/* §9.6.6: the status frame pushed to the conversation's sockets after a change. */
static void push_status(struct change *ch, const char *conversation_id)
{
	const struct conv_life *l = &ch->after;

	if (ch->frame_reason == NULL)
		return;
	ws_push_message(ch->st, ch->tenant_id, conversation_id,
			json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "type", "status",
				  "conversation_id", conversation_id, "status",
				  conv_store_status_name(l->status), "reason", ch->frame_reason,
				  "ticket_id", l->ticket_id[0] != '\0' ? l->ticket_id : NULL,
				  "operator_id",
				  l->operator_id[0] != '\0' ? l->operator_id : NULL));
}

static void change_init(struct change *ch, struct relay_state *st, const char *tenant_id,
			json_t *trace)
{
	memset(ch, 0, sizeof(*ch));
	ch->st = st;
	ch->tenant_id = tenant_id;
	ch->trace = trace;
	ch->now_ms = relay_clock_now_ms(&st->clock);
}

void lifecycle_visitor_message(struct relay_state *st, const char *tenant_id,
			       const char *conversation_id, json_t *msg, json_t *trace)
{
	struct change ch;
	json_t *reply = NULL, *content;
	enum relay_rc rc;

	change_init(&ch, st, tenant_id, trace);
	ch.kind = CH_VISITOR;
	content = json_object_get(msg, "content");
	ch.phrase_hit = lifecycle_trigger_matches(
		st->lifecycle, tenant_id, json_string_value(content), json_string_length(content));
	/* message-received first: the escalation it causes comes after it (§9.5.6) */
	lifecycle_emit(st, tenant_id, "message-received", msg, trace);
	rc = conv_store_life_apply(st->conversations, tenant_id, conversation_id, change_fn,
				   change_done, &ch, NULL);
	if (rc != RELAY_OK)
		return;
	push_status(&ch, conversation_id);
	if (!ch.bot_reply)
		return;
	/* §9.6.1: the bot's reply; a full conversation (§13) gets none */
	rc = conv_store_append_message(st->conversations, tenant_id, conversation_id, "bot",
				       LIFECYCLE_BOT_REPLY, strlen(LIFECYCLE_BOT_REPLY), ch.now_ms,
				       &reply);
	if (rc == RELAY_OK)
		ws_push_message(st, tenant_id, conversation_id, ws_message_frame(reply));
	json_decref(reply);
}

enum relay_rc lifecycle_escalate(struct relay_state *st, const char *tenant_id,
				 const char *conversation_id, const char *reason, json_t *trace,
				 json_t **conv)
{
	struct change ch;
	enum relay_rc rc;

	change_init(&ch, st, tenant_id, trace);
	ch.kind = CH_ESCALATE;
	ch.reason = reason;
	rc = conv_store_life_apply(st->conversations, tenant_id, conversation_id, change_fn,
				   change_done, &ch, conv);
	if (rc == RELAY_OK)
		push_status(&ch, conversation_id);
	return rc;
}

enum relay_rc lifecycle_operator_act(struct relay_state *st, const char *tenant_id,
				     const struct operator_view *op, const char *conversation_id,
				     enum lifecycle_action action, json_t *trace, json_t **conv)
{
	struct change ch;
	enum relay_rc rc;

	change_init(&ch, st, tenant_id, trace);
	ch.kind = CH_OPERATOR;
	ch.op = op;
	ch.action = action;
	rc = conv_store_life_apply(st->conversations, tenant_id, conversation_id, change_fn,
				   change_done, &ch, conv);
	if (rc == RELAY_OK)
		push_status(&ch, conversation_id);
	return rc;
}

/* Checks only: the conversation is assigned to op and in its scope. */
static enum relay_rc may_send_fn(void *ctx, struct conv_life *life)
{
	const struct operator_view *op = ctx;

	if (!lifecycle_operator_covers(op, life))
		return RELAY_E_INSUFFICIENT_SCOPE;
	if (life->status != CONV_ASSIGNED || strcmp(life->operator_id, op->operator_id) != 0)
		return RELAY_E_CONVERSATION_STATE;
	return RELAY_OK;
}

enum relay_rc lifecycle_operator_send(struct relay_state *st, const char *tenant_id,
				      const struct operator_view *op, const char *conversation_id,
				      const char *content, size_t content_len, json_t **msg)
{
	enum relay_rc rc;
	json_t *m = NULL;

	rc = conv_store_life_apply(st->conversations, tenant_id, conversation_id, may_send_fn, NULL,
				   (void *)op, NULL);
	if (rc != RELAY_OK)
		return rc;
	rc = conv_store_append_message(st->conversations, tenant_id, conversation_id, "operator",
				       content, content_len, relay_clock_now_ms(&st->clock), &m);
	if (rc != RELAY_OK)
		return rc;
	ws_push_message(st, tenant_id, conversation_id, ws_message_frame(m));
	*msg = m;
	return RELAY_OK;
}

bool lifecycle_operator_covers(const struct operator_view *op, const struct conv_life *life)
{
	json_t *k;
	size_t i;

	if (op->routing_keys == NULL || json_array_size(op->routing_keys) == 0)
		return true; /* tenant-wide (§6.4.1) */
	if (!life->has_routing_key)
		return false;
	json_array_foreach(op->routing_keys, i, k)
	{
		if (strcmp(json_string_value(k), life->routing_key) == 0)
			return true;
	}
	return false;
}

static bool queue_keep(void *ctx, const struct conv_life *life)
{
	const struct operator_view *op = ctx;

	return (life->status == CONV_PENDING || life->status == CONV_ASSIGNED) &&
	       lifecycle_operator_covers(op, life);
}

enum relay_rc lifecycle_queue(struct relay_state *st, const char *tenant_id,
			      const struct operator_view *op, size_t limit, size_t offset,
			      json_t **page)
{
	return conv_store_list(st->conversations, tenant_id, queue_keep, (void *)op, limit, offset,
			       page);
}

/* year * 12 + month of now_ms, UTC (§2.3.4). */
static int64_t month_of(int64_t now_ms)
{
	time_t secs = (time_t)(now_ms / 1000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL)
		return 0;
	return (int64_t)tm.tm_year * 12 + tm.tm_mon;
}

enum relay_rc lifecycle_quota_take(struct lifecycle *lc, const char *tenant_id, int64_t quota,
				   int64_t now_ms)
{
	struct trigger_shard *sh;
	struct lc_tenant *t;
	int64_t month = month_of(now_ms);
	enum relay_rc rc;

	if (quota <= 0)
		return RELAY_OK; /* no quota */
	sh = shard_of(lc, tenant_id);
	pthread_mutex_lock(&sh->lock);
	t = lc_tenant_get(lc, sh, tenant_id, true, &rc);
	if (t != NULL) {
		if (t->month != month) { /* a new month starts a fresh count */
			t->month = month;
			t->msg_count = 0;
		}
		if (t->msg_count >= quota)
			rc = RELAY_E_QUOTA_EXCEEDED;
		else
			t->msg_count++;
	}
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

void lifecycle_quota_refund(struct lifecycle *lc, const char *tenant_id, int64_t quota,
			    int64_t now_ms)
{
	struct trigger_shard *sh;
	struct lc_tenant *t;

	if (quota <= 0)
		return;
	sh = shard_of(lc, tenant_id);
	pthread_mutex_lock(&sh->lock);
	t = map_get(&sh->phrases, tenant_id);
	if (t != NULL && t->month == month_of(now_ms) && t->msg_count > 0)
		t->msg_count--;
	pthread_mutex_unlock(&sh->lock);
}
