/*
 * relay_router.h - the route table (SPEC §1.6).
 *
 * Each routes file exports one array terminated by an entry whose path is NULL and
 * is listed in relay_router.c. Paths match exactly (no prefixes, no patterns). An
 * unknown path is 404 not_found; a known path with another method is 405
 * method_not_allowed with an Allow header listing that path's methods.
 */
#ifndef RELAY_ROUTER_H
#define RELAY_ROUTER_H

#include <stddef.h>

#include "relay_req.h"

enum route_flags {
	ROUTE_PUBLIC = 0,
	ROUTE_ADMIN = 1u << 0,  /* X-Admin-Key required (§2.1) */
	ROUTE_HMAC1 = 1u << 1,  /* HMAC#1 gate (§4) before the handler */
	ROUTE_CONTROL = 1u << 2 /* mock control plane (§10): no journal entry, no faults */
};

typedef void (*route_handler)(struct relay_request *req, struct relay_response *resp);

struct relay_route {
	const char *method;
	const char *path;
	unsigned flags;
	route_handler handler;
};

extern const struct relay_route routes_admin[];             /* routes_admin.c, §2 */
extern const struct relay_route routes_control[];           /* routes_control.c, §10 */
extern const struct relay_route routes_relay[];             /* routes_relay.c, §6 */
extern const struct relay_route routes_widget[];            /* routes_widget.c, §7 */
extern const struct relay_route routes_callbacks_control[]; /* routes_callbacks_control.c, §10.5 */
extern const struct relay_route routes_ws[];                /* routes_ws.c, §8 */

#define ROUTER_ALLOW_MAX 128

/*
 * The route for (method, path), or NULL with *rc set to RELAY_E_NOT_FOUND or
 * RELAY_E_METHOD_NOT_ALLOWED; in the latter case allow receives "GET, POST"...
 */
const struct relay_route *router_match(const char *method, const char *path, enum relay_rc *rc,
				       char allow[ROUTER_ALLOW_MAX]);

#endif
