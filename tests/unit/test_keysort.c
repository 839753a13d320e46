/*
 * test_keysort.c - the engine's in-place sort of its keys (lib/keysort.h)
 * against qsort with the (hash, pos) comparison the engine used before:
 * the engine's answers depend on the order being exactly that one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "keysort.h"
#include "testutil.h"

static int
cmp_oracle(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

enum shape { RANDOM, FEW_HASHES, ONE_HASH, SORTED, REVERSED, ORGAN };

/* n keys with distinct positions (shuffled) and hashes of the shape */
static struct keyed *
make_keys(size_t n, enum shape s)
{
	struct keyed *k = xcalloc(n, sizeof(*k));

	for (size_t i = 0; i < n; i++) {
		k[i].pos = (uint32_t)i;
		k[i].label = (uint32_t)(i & 0x7fffffff);
		k[i].rep = i & 1;
	}
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd_below(i);
		uint32_t t = k[i - 1].pos;

		k[i - 1].pos = k[j].pos;
		k[j].pos = t;
	}
	for (size_t i = 0; i < n; i++) {
		switch (s) {
		case RANDOM: k[i].hash = rnd(); break;
		case FEW_HASHES: k[i].hash = rnd_below(5); break;
		case ONE_HASH: k[i].hash = 42; break;
		case SORTED:
			k[i].hash = i;
			k[i].pos = (uint32_t)i;
			break;
		case REVERSED: k[i].hash = n - i; break;
		case ORGAN: k[i].hash = i < n / 2 ? i : n - i; break;
		}
	}
	return k;
}

/* sorts a copy with sortfn and one with qsort: same keys, same order */
static void
check(size_t n, enum shape s, void (*sortfn)(struct keyed *, size_t))
{
	struct keyed *k = make_keys(n, s);
	struct keyed *want = xmalloc(n * sizeof(*want));

	memcpy(want, k, n * sizeof(*k));
	qsort(want, n, sizeof(*want), cmp_oracle);
	sortfn(k, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(k[i].hash, want[i].hash);
		assert_int_equal(k[i].pos, want[i].pos);
		assert_int_equal(k[i].label, want[i].label);
		assert_int_equal(k[i].rep, want[i].rep);
	}
	free(k);
	free(want);
}

static void
heapsort_only(struct keyed *k, size_t n)
{
	key_introsort(k, n, 0);
}

static void
check_sizes(void (*sortfn)(struct keyed *, size_t))
{
	static const size_t sizes[] = {0,  1,  2,   3,	  15,	 16,
				       17, 18, 100, 1000, 100000};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		for (enum shape s = RANDOM; s <= ORGAN; s++)
			check(sizes[i], s, sortfn);
	}
}

static void
test_sort_matches_qsort(void **state)
{
	(void)state;
	seed = base_seed;
	check_sizes(keys_sort);
}

/* the fallback the recursion depth bound hands a part to */
static void
test_heapsort_matches_qsort(void **state)
{
	(void)state;
	seed = base_seed + 1;
	check_sizes(heapsort_only);
}

/* ties by position, whatever the hashes' order */
static void
test_ties_by_position(void **state)
{
	struct keyed k[40];

	(void)state;
	for (uint32_t i = 0; i < 40; i++)
		k[i] = (struct keyed){i % 2, 39 - i, 0, 0};
	keys_sort(k, 40);
	for (uint32_t i = 0; i < 40; i++) {
		assert_int_equal(k[i].hash, i >= 20);
		/* hash 0 went to odd positions (39 - even), hash 1 to even */
		assert_int_equal(k[i].pos, i < 20 ? 2 * i + 1 : 2 * (i - 20));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_matches_qsort),
		cmocka_unit_test(test_heapsort_matches_qsort),
		cmocka_unit_test(test_ties_by_position),
	};

	seed_from_env();
	return cmocka_run_group_tests_name("keysort", tests, NULL, NULL);
}
