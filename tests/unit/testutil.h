/*
 * testutil.h - what the engine's unit tests share: a reproducible
 * generator (xorshift64*, seeded from base_seed by each test) and
 * allocation that fails the test instead of returning NULL.  Included
 * after <cmocka.h>; each test program has its own copy of the state.
 */
#ifndef HL_TESTUTIL_H
#define HL_TESTUTIL_H

#include <stdint.h>
#include <stdlib.h>

static uint64_t base_seed, seed;

/* xorshift64*: small, reproducible, good enough for test data. */
static inline uint64_t
rnd(void)
{
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return seed * 0x2545F4914F6CDD1DULL;
}

/* base_seed from HL_TEST_SEED (to replay a failure), else a fixed one. */
static inline void
seed_from_env(void)
{
	const char *env = getenv("HL_TEST_SEED");

	base_seed = env ? strtoull(env, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (!base_seed)
		base_seed = 1;
}

static inline size_t
rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static inline void
rnd_fill(unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(rnd() >> 56);
}

static inline void *
xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	assert_non_null(p);
	return p;
}

static inline void *
xcalloc(size_t n, size_t len)
{
	void *p = calloc(n ? n : 1, len ? len : 1);

	assert_non_null(p);
	return p;
}

#endif /* HL_TESTUTIL_H */
