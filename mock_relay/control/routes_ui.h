/*
 * routes_ui.h - the control plane's page, GET /__mock/ui (SPEC §10.7).
 *
 * The page is mock_relay/ui/index.html, embedded at build time by
 * mock_relay/ui/embed.cmake (ui_page.c in the build tree), served from memory
 * with a Content-Security-Policy that allows only its own inline script and style
 * (their SHA-256, computed by the same build step).
 */
#ifndef ROUTES_UI_H
#define ROUTES_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "relay_rc.h"
#include "relay_router.h"

extern const unsigned char ui_page_html[]; /* the page, byte for byte */
extern const size_t ui_page_html_len;
extern const char ui_page_script_sha256[]; /* hex SHA-256 of the inline script's text */
extern const char ui_page_style_sha256[];  /* hex SHA-256 of the inline style's text */

#define UI_CSP_MAX 512

/*
 * The page's Content-Security-Policy into out[UI_CSP_MAX]: only the script and style
 * whose hashes are given (64 hex digits each), fetch to its own origin, nothing framed
 * or framing. false when a hash is not 64 hex digits.
 */
RELAY_WUR bool ui_csp(const char *script_sha256_hex, const char *style_sha256_hex,
		      char out[UI_CSP_MAX]);

extern const struct relay_route routes_ui[]; /* GET /__mock/ui */

#endif
