/*
 * main.c - relay-conformance: option parsing and dispatch to the three modes
 * (SPEC.md §12; README "Conformance").
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "report.h"
#include "suite.h"

static void usage(FILE *f)
{
	fputs("usage: relay-conformance --base-url URL [options]      test a relay\n"
	      "       relay-conformance sdk [options] -- COMMAND ...  test an SDK's calls\n"
	      "       relay-conformance backend --callback-url URL ... test a callback "
	      "receiver\n"
	      "\n"
	      "Credentials (each falls back to an environment variable):\n"
	      "  --base-url URL        BLOONIO_CHAT_BASE_URL\n"
	      "  --admin-key KEY       BLOONIO_CHAT_ADMIN_KEY; without it, cases that provision\n"
	      "                        tenants are SKIPped and the rest use the given tenant\n"
	      "  --tenant-id ID        BLOONIO_CHAT_TENANT_ID\n"
	      "  --tenant-secret SK    BLOONIO_CHAT_TENANT_SECRET\n"
	      "  --widget-key PK       BLOONIO_CHAT_WIDGET_PUBLIC_KEY\n"
	      "  --origin O            an origin in the tenant's allowed_origins\n"
	      "\n"
	      "Remote relays:\n"
	      "  --insecure            skip TLS certificate and hostname verification (https://\n"
	      "                        requests and wss:// sockets), for self-signed test relays\n"
	      "  --callback-listen ADDR:PORT\n"
	      "                        where the suite's callback receiver binds (default\n"
	      "                        127.0.0.1:0, a free port; [::]:PORT for IPv6)\n"
	      "  --callback-public-url URL\n"
	      "                        the receiver as the relay reaches it (NAT, containers);\n"
	      "                        given to the relay as callback_url_base. Without it,\n"
	      "                        callback cases SKIP unless the target is on loopback\n"
	      "\n"
	      "Selection and verdicts:\n"
	      "  --list                list the cases (id, SPEC rule, provenance, needs, "
	      "requirement)\n"
	      "  --filter GLOB         run only the cases whose id matches (e.g. 'hmac1.*')\n"
	      "  --strict              WARN (an inferred rule broken) becomes FAIL\n"
	      "  --expected-failures FILE\n"
	      "                        case ids, one a line, '#' comments. A listed case that\n"
	      "                        FAILs is XFAIL (not a failure); a listed case that no\n"
	      "                        longer fails is XPASS and counts as a failure, so the\n"
	      "                        list stays honest\n"
	      "\n"
	      "Reports:\n"
	      "  --junit FILE          JUnit XML (one testsuite per SPEC section)\n"
	      "  --json FILE           JSON (conformance/report.schema.json)\n"
	      "  --html FILE           one self-contained HTML page\n"
	      "  --quiet | --verbose   summary only | details under every non-PASS line\n"
	      "  --no-color            no ANSI colors (default: colored on a terminal)\n"
	      "  --timeout-ms N        per request (default 10000)\n"
	      "\n"
	      "Verdicts: PASS, FAIL (documented rule broken), WARN (inferred rule broken),\n"
	      "INFO (observation, never a failure), SKIP (with the reason), XFAIL, XPASS.\n"
	      "Exit status: 0 iff nothing FAILed (and no XPASS); 1 otherwise; 2 for usage\n"
	      "errors or an unreachable relay.\n"
	      "\n"
	      "  --version             the version\n"
	      "  --help                this text\n",
	      f);
}

#if !defined(HAVE_MODE_SDK)
int mode_sdk_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("relay-conformance sdk: not built in this tree\n", stderr);
	return CONFORMANCE_EXIT_USAGE;
}
#endif

#if !defined(HAVE_MODE_BACKEND)
int mode_backend_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("relay-conformance backend: not built in this tree\n", stderr);
	return CONFORMANCE_EXIT_USAGE;
}
#endif

/* ADDR:PORT with ADDR a dotted IPv4 address or a bracketed IPv6 one. */
static bool listen_addr_valid(const char *v)
{
	struct sockaddr_storage ss;

	return suite_listen_parse(v, &ss, NULL);
}

int mode_relay_main(int argc, char **argv)
{
	enum {
		O_BASE = 256,
		O_ADMIN,
		O_TID,
		O_TSK,
		O_WPK,
		O_ORIGIN,
		O_LIST,
		O_FILTER,
		O_NOCOLOR,
		O_TIMEOUT,
		O_INSECURE,
		O_CB_LISTEN,
		O_CB_PUBLIC,
		O_HELP,
		O_VERSION,
		O_REPORT /* O_REPORT + enum cli_report_opt: the report options */
	};
	static const struct option longopts[] = {
		{"base-url", required_argument, NULL, O_BASE},
		{"admin-key", required_argument, NULL, O_ADMIN},
		{"tenant-id", required_argument, NULL, O_TID},
		{"tenant-secret", required_argument, NULL, O_TSK},
		{"widget-key", required_argument, NULL, O_WPK},
		{"origin", required_argument, NULL, O_ORIGIN},
		{"list", no_argument, NULL, O_LIST},
		{"filter", required_argument, NULL, O_FILTER},
		CLI_REPORT_LONGOPTS(O_REPORT),
		{"no-color", no_argument, NULL, O_NOCOLOR},
		{"timeout-ms", required_argument, NULL, O_TIMEOUT},
		{"insecure", no_argument, NULL, O_INSECURE},
		{"callback-listen", required_argument, NULL, O_CB_LISTEN},
		{"callback-public-url", required_argument, NULL, O_CB_PUBLIC},
		{"help", no_argument, NULL, O_HELP},
		{"version", no_argument, NULL, O_VERSION},
		{NULL, 0, NULL, 0}};
	struct suite s;
	struct suite_run_options ro;
	struct cli_report_args ra;
	bool no_color = false;
	int ch, status;
	FILE *progress;

	memset(&s, 0, sizeof(s));
	memset(&ro, 0, sizeof(ro));
	memset(&ra, 0, sizeof(ra));
	s.cfg.timeout_ms = 10000;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_BASE:
			s.cfg.base_url = optarg;
			break;
		case O_ADMIN:
			s.cfg.admin_key = optarg;
			break;
		case O_TID:
			s.cfg.tenant_id = optarg;
			break;
		case O_TSK:
			s.cfg.tenant_secret = optarg;
			break;
		case O_WPK:
			s.cfg.widget_key = optarg;
			break;
		case O_ORIGIN:
			s.cfg.origin = optarg;
			break;
		case O_LIST:
			ro.list = true;
			break;
		case O_FILTER:
			ro.filter = optarg;
			break;
		case O_NOCOLOR:
			no_color = true;
			break;
		case O_TIMEOUT:
			s.cfg.timeout_ms = strtol(optarg, NULL, 10);
			if (s.cfg.timeout_ms <= 0) {
				fputs("relay-conformance: --timeout-ms must be positive\n", stderr);
				return CONFORMANCE_EXIT_USAGE;
			}
			break;
		case O_INSECURE:
			s.cfg.insecure = true;
			break;
		case O_CB_LISTEN:
			if (!listen_addr_valid(optarg)) {
				fputs("relay-conformance: --callback-listen wants ADDR:PORT (an "
				      "IPv4 "
				      "address or [IPv6], port 0-65535)\n",
				      stderr);
				return CONFORMANCE_EXIT_USAGE;
			}
			s.cfg.callback_listen = optarg;
			break;
		case O_CB_PUBLIC:
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0) {
				fputs("relay-conformance: --callback-public-url must start with "
				      "http:// or https://\n",
				      stderr);
				return CONFORMANCE_EXIT_USAGE;
			}
			s.cfg.callback_public_url = optarg;
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			return CONFORMANCE_EXIT_OK;
		case O_VERSION:
			printf("relay-conformance %s\n", RELAY_VERSION);
			return CONFORMANCE_EXIT_OK;
		default:
			if (ch >= O_REPORT && ch < O_REPORT + CLI_REPORT_OPTS) {
				cli_report_set(&ra, (enum cli_report_opt)(ch - O_REPORT), optarg);
				break;
			}
			usage(stderr);
			return CONFORMANCE_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "relay-conformance: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return CONFORMANCE_EXIT_USAGE;
	}
	ro.verbose = ra.opt.verbose;
	ro.files = ra.files;
	s.cfg.base_url = cli_env_or(s.cfg.base_url, "BLOONIO_CHAT_BASE_URL");
	s.cfg.admin_key = cli_env_or(s.cfg.admin_key, "BLOONIO_CHAT_ADMIN_KEY");
	s.cfg.tenant_id = cli_env_or(s.cfg.tenant_id, "BLOONIO_CHAT_TENANT_ID");
	s.cfg.tenant_secret = cli_env_or(s.cfg.tenant_secret, "BLOONIO_CHAT_TENANT_SECRET");
	s.cfg.widget_key = cli_env_or(s.cfg.widget_key, "BLOONIO_CHAT_WIDGET_PUBLIC_KEY");
	if (ro.list) {
		return suite_run(&s, &ro);
	}
	if (s.cfg.base_url == NULL) {
		fputs("relay-conformance: --base-url (or BLOONIO_CHAT_BASE_URL) is required\n",
		      stderr);
		usage(stderr);
		return CONFORMANCE_EXIT_USAGE;
	}
	/* Progress goes to a copy of stdout: CMocka's own stdout is silenced while it runs. */
	progress = fdopen(dup(STDOUT_FILENO), "w");
	if (progress == NULL)
		progress = stdout;
	ra.opt.progress = progress;
	ra.opt.color = !no_color && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	s.report = cli_report_new("relay-conformance", s.cfg.base_url, &ra);
	if (s.report == NULL)
		return CONFORMANCE_EXIT_USAGE;
	status = suite_run(&s, &ro);
	report_free(s.report);
	if (progress != stdout)
		fclose(progress);
	return status;
}

int main(int argc, char **argv)
{
	int status;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc > 1 && strcmp(argv[1], "sdk") == 0)
		status = mode_sdk_main(argc - 1, argv + 1);
	else if (argc > 1 && strcmp(argv[1], "backend") == 0)
		status = mode_backend_main(argc - 1, argv + 1);
	else
		status = mode_relay_main(argc, argv);
	curl_global_cleanup();
	return status;
}
