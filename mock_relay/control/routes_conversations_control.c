/*
 * routes_conversations_control.c - conversation reads of the control plane (SPEC §10.6), for
 * the page of §10.7 and for tests: the relay API reads them only under the tenant's
 * HMAC#1 secret, which the control plane never holds.
 *
 *   GET /__mock/conversations?tenant_id=&limit=                    newest first
 *   GET /__mock/messages?tenant_id=&conversation_id=&limit=&offset=  oldest first
 */
#include "conv_store.h"
#include "relay_router.h"

/* §10.6.1 GET /__mock/conversations */
static void conversations_get(struct relay_request *req, struct relay_response *resp)
{
	char tenant[TEXT_ID_MAX + 1];
	long long limit;
	json_t *page = NULL;
	enum relay_rc rc;

	if (!request_id_param(req, "tenant_id", true, tenant, resp) ||
	    !request_int_param(req, "limit", 1, CONV_LIST_LIMIT_MAX, CONV_LIST_LIMIT_DEF, &limit,
			       resp))
		return;
	rc = conv_store_list_recent(req->st->conversations, tenant, (size_t)limit, &page);
	if (rc != RELAY_OK)
		response_error(resp, rc, NULL, NULL);
	else
		response_success(resp, 200, page, "Conversations fetched.");
}

/* §10.6.2 GET /__mock/messages */
static void messages_get(struct relay_request *req, struct relay_response *resp)
{
	char tenant[TEXT_ID_MAX + 1], conv[TEXT_ID_MAX + 1];
	long long limit, offset;
	json_t *page = NULL;
	enum relay_rc rc;

	if (!request_id_param(req, "tenant_id", true, tenant, resp) ||
	    !request_id_param(req, "conversation_id", true, conv, resp) ||
	    !request_int_param(req, "limit", 1, CONV_PAGE_LIMIT_MAX, CONV_PAGE_LIMIT_DEF, &limit,
			       resp) ||
	    !request_int_param(req, "offset", 0, 2147483647LL, 0, &offset, resp))
		return;
	rc = conv_store_fetch_messages(req->st->conversations, tenant, conv, (size_t)limit,
				       (size_t)offset, &page);
	if (rc != RELAY_OK)
		response_error(resp, rc, NULL, NULL);
	else
		response_success(resp, 200, page, "Messages fetched.");
}

const struct relay_route routes_conversations_control[] = {
	{"GET", "/__mock/conversations", ROUTE_ADMIN | ROUTE_CONTROL, conversations_get},
	{"GET", "/__mock/messages", ROUTE_ADMIN | ROUTE_CONTROL, messages_get},
	{NULL, NULL, 0, NULL},
};
