/*
 * fuzz.h - shared by the libFuzzer targets and fuzz_replay.c.
 *
 * Each target defines LLVMFuzzerTestOneInput(). An invariant that does not hold
 * aborts with a message, which libFuzzer reports as a crash and fuzz_replay as a
 * failed test.
 */
#ifndef RELAY_FUZZ_H
#define RELAY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
