/*
 * relay_state_build.h - builds, resets and frees the server context (SPEC §10, §13).
 *
 * The one place where the mock's modules are constructed: the stores, the journal,
 * the faults, the callback worker (with callbacks_emit's tenant lookup) and the
 * WebSocket hub (with ws_widget's hooks), each given the state as context. Every
 * other module depends on relay_state.h (the struct) only, so dependencies point
 * down: main.c and the control plane's reset use this; nothing it builds uses it.
 */
#ifndef RELAY_STATE_BUILD_H
#define RELAY_STATE_BUILD_H

#include "relay_state.h"

/*
 * New state for cfg (copied). Returns NULL when out of memory. Free with
 * relay_state_free().
 */
struct relay_state *relay_state_new(const struct relay_config *cfg);

/* Frees st and every module; NULL is a no-op. */
void relay_state_free(struct relay_state *st);

/*
 * §10.1: forget tenants, journal, faults (and each later module's data) and return
 * the clock to real time. The configuration is kept.
 */
void relay_state_reset(struct relay_state *st);

#endif
