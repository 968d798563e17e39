/*
 * relay_router.c - exact-path routing over every routes file (SPEC §1.6).
 */
#include <string.h>

#include "relay_router.h"

/* Every route array of the mock. Add a routes file's array here. */
static const struct relay_route *const route_tables[] = {
	routes_admin,  routes_control,           routes_relay,
	routes_widget, routes_callbacks_control, routes_ws,
};

static void allow_add(char allow[ROUTER_ALLOW_MAX], const char *method)
{
	size_t len = strlen(allow), n = strlen(method);

	if (strstr(allow, method) != NULL)
		return;
	if (len + n + 3 > ROUTER_ALLOW_MAX)
		return;
	if (len > 0) {
		memcpy(allow + len, ", ", 2);
		len += 2;
	}
	memcpy(allow + len, method, n + 1);
}

const struct relay_route *router_match(const char *method, const char *path, enum relay_rc *rc,
				       char allow[ROUTER_ALLOW_MAX])
{
	const struct relay_route *r;
	size_t t;
	int path_known = 0;

	allow[0] = '\0';
	for (t = 0; t < sizeof(route_tables) / sizeof(route_tables[0]); t++) {
		for (r = route_tables[t]; r->path != NULL; r++) {
			if (strcmp(r->path, path) != 0)
				continue;
			if (strcmp(r->method, method) == 0)
				return r;
			path_known = 1;
			allow_add(allow, r->method);
		}
	}
	*rc = path_known ? RELAY_E_METHOD_NOT_ALLOWED : RELAY_E_NOT_FOUND;
	return NULL;
}
