/*
 * routes_ws.c - GET /api/v1/ws/widget?token=<visitor JWT> (SPEC §8).
 *
 * The handler checks the HTTP side of the upgrade (400 when it is not a WebSocket
 * handshake, 507 over the socket cap) and answers 101. Everything about the token
 * is decided after the upgrade, on the hub's event loop (ws_widget_on_open), and a refusal
 * is a close frame (4401, 4403): a browser cannot read the status of a refused
 * handshake, but it can read a close code (§8.1.3). Client frames come back through
 * ws_widget_on_text(), on the same loop thread (ws_widget.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "relay_jwt.h"
#include "relay_router.h"
#include "relay_ws.h"

#define WS_GUID        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* RFC 6455 §1.3 */
#define WS_KEY_B64_LEN 24                                     /* base64 of 16 bytes */
#define WS_ACCEPT_LEN  28                                     /* base64 of 20 bytes */

/* true when the comma-separated header value holds token (case-insensitive). */
static bool header_has_token(const char *value, const char *token)
{
	size_t n = strlen(token);
	const char *p = value;

	if (value == NULL)
		return false;
	while (*p != '\0') {
		const char *end;
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = p;
		while (*end != '\0' && *end != ',')
			end++;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(p, token, n) == 0)
			return true;
		p = end;
	}
	return false;
}

/* Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2), OpenSSL only. */
static bool ws_accept_value(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char buf[WS_KEY_B64_LEN + sizeof(WS_GUID)];

	snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	if (EVP_Digest(buf, strlen(buf), md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20)
		return false;
	return EVP_EncodeBlock((unsigned char *)out, md, (int)md_len) == WS_ACCEPT_LEN;
}

/* A Sec-WebSocket-Key is the base64 of 16 bytes (RFC 6455 §4.1). */
static bool ws_key_valid(const char *key)
{
	unsigned char raw[WS_KEY_B64_LEN];

	if (key == NULL || strlen(key) != WS_KEY_B64_LEN)
		return false;
	/* 24 chars decode to 18 bytes, two of them padding: "==" ending. */
	return EVP_DecodeBlock(raw, (const unsigned char *)key, WS_KEY_B64_LEN) == 18 &&
	       key[22] == '=' && key[23] == '=';
}

/* MHD hands over the socket once the 101 is out: the hub takes it (§8.1.3). */
static void on_upgrade(void *cls, struct MHD_Connection *connection, void *req_cls,
		       const char *extra_in, size_t extra_in_size, MHD_socket sock,
		       struct MHD_UpgradeResponseHandle *urh)
{
	struct relay_state *st = cls;

	(void)req_cls;
	ws_hub_adopt(st->ws, sock, urh, extra_in, extra_in_size,
		     MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "token"),
		     MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin"));
}

/* GET /api/v1/ws/widget (§8.1.1, §8.1.2). */
static void ws_widget(struct relay_request *req, struct relay_response *resp)
{
	const char *key = request_header(req, "Sec-WebSocket-Key");
	const char *token = request_query(req, "token");
	struct visitor_claims *vc;
	char accept[WS_ACCEPT_LEN + 1];
	struct MHD_Response *raw;
	bool expired;

	if (request_query_count(req, "token") > 1) { /* §1.6.4 */
		response_error(resp, RELAY_E_MALFORMED_REQUEST, "token", NULL);
		return;
	}
	if (!header_has_token(request_header(req, "Upgrade"), "websocket") ||
	    !header_has_token(request_header(req, "Connection"), "upgrade") || !ws_key_valid(key) ||
	    request_header(req, "Sec-WebSocket-Version") == NULL ||
	    strcmp(request_header(req, "Sec-WebSocket-Version"), "13") != 0) {
		response_error(resp, RELAY_E_MALFORMED_REQUEST, NULL,
			       "Not a WebSocket handshake (RFC 6455, version 13).");
		return;
	}
	if (ws_hub_count(req->st->ws) >= ws_hub_max(req->st->ws)) {
		response_error(resp, RELAY_E_CAPACITY_EXCEEDED, NULL, "Too many open WebSockets.");
		return;
	}
	/* The journal names the token's tenant when the token verifies (§10.3.3). */
	vc = calloc(1, sizeof(*vc));
	if (vc != NULL && token != NULL && strlen(token) <= TOKEN_MAX_LEN &&
	    token_verify_visitor(req->st->token_key, TOKEN_KEY_LEN, token, req->now_ms, vc,
				 &expired) == RELAY_OK &&
	    strlen(vc->tid) <= HMAC1_TENANT_MAX)
		snprintf(req->tenant_id, sizeof(req->tenant_id), "%.*s", HMAC1_TENANT_MAX, vc->tid);
	free(vc);

	raw = NULL;
	if (ws_accept_value(key, accept))
		raw = MHD_create_response_for_upgrade(on_upgrade, req->st);
	if (raw == NULL) {
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
		return;
	}
	if (MHD_add_response_header(raw, "Upgrade", "websocket") != MHD_YES ||
	    MHD_add_response_header(raw, "Sec-WebSocket-Accept", accept) != MHD_YES) {
		MHD_destroy_response(raw);
		response_error(resp, RELAY_E_INTERNAL, NULL, NULL);
		return;
	}
	response_raw(resp, MHD_HTTP_SWITCHING_PROTOCOLS, raw);
}

const struct relay_route routes_ws[] = {
	{"GET", "/api/v1/ws/widget", ROUTE_PUBLIC, ws_widget},
	{NULL, NULL, 0, NULL},
};
