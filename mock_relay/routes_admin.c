/*
 * routes_admin.c - admin tenant endpoints behind X-Admin-Key (SPEC.md §2).
 */
#include "relay_router.h"

const struct relay_route routes_admin[] = {
	{NULL, NULL, 0, NULL},
};
