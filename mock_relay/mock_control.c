/*
 * mock_control.c - the mock's control plane behind X-Admin-Key (SPEC.md §10).
 */
#include "relay_router.h"

const struct relay_route routes_control[] = {
	{NULL, NULL, 0, NULL},
};
