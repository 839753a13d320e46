/*
 * test_policy.c - unit tests of the policy (src/policy.c): which entries
 * may merge (the attribute key, the entry key) and which one is kept
 * (the master preference), for every combination of the options that
 * decide them.
 *
 * Each combination is checked two ways: hand-made cases with the answer
 * util-linux's documentation gives, and a sweep over generated entries
 * against an oracle that states the rule as a lexicographic key, written
 * apart from the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "policy.h"

/* ---- building records --------------------------------------------------- */

static struct dnode *root1, *root2, *r1_x, *r2_x, *r1_y;

static int
setup_tree(void **state)
{
	(void)state;
	root1 = dnode_new(NULL, "/t/one", 6, 0);
	root2 = dnode_new(NULL, "/t/two", 6, 1);
	r1_x = dnode_new(root1, "x", 1, 0);
	r2_x = dnode_new(root2, "x", 1, 1);
	r1_y = dnode_new(root1, "y", 1, 0);
	return 0;
}

static int
release_tree(void **state)
{
	(void)state;
	arena_release();
	fent_release();
	return 0;
}

/* The fields of a record, as a test sets them; E() and F() make it. */
struct spec {
	struct dnode *dir;
	const char *name;
	uint64_t dev, ino, size;
	int64_t mtime;
	uint32_t mtime_ns;
	uint32_t mode, uid, gid, nlink, op;
};

struct rec {
	struct spec f;
	uint32_t fp; /* fent_ref() of the record */
	struct ent e;
};

static void
rec_init(struct rec *r, uint64_t ino, int64_t mtime, uint32_t nlink,
	 uint32_t op)
{
	memset(r, 0, sizeof(*r));
	r->f = (struct spec){.dir = op ? root2 : root1,
			     .name = "f",
			     .dev = 1,
			     .ino = ino,
			     .size = 10,
			     .mtime = mtime,
			     .mode = 0100644,
			     .uid = 1000,
			     .gid = 1000,
			     .nlink = nlink,
			     .op = op};
	r->e = (struct ent){
		.paths = &r->fp, .npaths = 1, .nlink = nlink, .op = op};
}

/* r's record as its spec says now (a new one in the arena). */
static struct fent *
F(struct rec *r)
{
	struct stat st = {0};

	st.st_dev = r->f.dev;
	st.st_ino = r->f.ino;
	st.st_size = (off_t)r->f.size;
	st.st_mtim.tv_sec = r->f.mtime;
	st.st_mtim.tv_nsec = r->f.mtime_ns;
	st.st_mode = r->f.mode;
	st.st_uid = r->f.uid;
	st.st_gid = r->f.gid;
	st.st_nlink = r->f.nlink;
	r->fp = fent_ref(
		fent_new(r->f.dir, r->f.name, strlen(r->f.name), &st, 0));
	r->e.paths = &r->fp;
	return fent_at(r->fp);
}

static struct ent *
E(struct rec *r)
{
	F(r);
	return &r->e;
}

static void
policy_of(struct policy *p, int max, int min, int prio, int oldest)
{
	struct options o = {0};

	o.maximize = max;
	o.minimize = min;
	o.prio_trees = prio;
	o.keep_oldest = oldest;
	policy_release(p); /* a test sets several policies in turn */
	policy_init(p, &o);
}

/* ---- the master preference ---------------------------------------------- */

static void
newest_mtime_is_kept_then_lowest_inode(void **state)
{
	struct policy p = {0};
	struct rec a, b, c;

	(void)state;
	policy_of(&p, 0, 0, 0, 0);
	rec_init(&a, 5, 100, 1, 0);
	rec_init(&b, 9, 200, 1, 0);
	assert_true(policy_cmp_pref(&p, E(&b), E(&a)) < 0);
	assert_true(policy_cmp_pref(&p, E(&a), E(&b)) > 0);
	/* same second: nanoseconds do not count, the lower inode wins */
	rec_init(&c, 3, 200, 1, 0);
	c.f.mtime_ns = 1;
	b.f.mtime_ns = 999999999;
	assert_true(policy_cmp_pref(&p, E(&c), E(&b)) < 0);
	assert_int_equal(policy_cmp_pref(&p, E(&c), E(&c)), 0);
	policy_release(&p);
}

static void
keep_oldest_prefers_the_oldest_mtime(void **state)
{
	struct policy p = {0};
	struct rec a, b;

	(void)state;
	policy_of(&p, 0, 0, 0, 1);
	rec_init(&a, 5, 100, 1, 0);
	rec_init(&b, 9, 200, 1, 0);
	assert_true(policy_cmp_pref(&p, E(&a), E(&b)) < 0);
	policy_release(&p);
}

static void
maximize_and_minimize_decide_before_time_and_trees(void **state)
{
	struct policy p = {0};
	struct rec few, many;

	(void)state;
	rec_init(&few, 1, 300, 1, 0); /* newest, first operand */
	rec_init(&many, 2, 100, 4, 1);
	policy_of(&p, 1, 0, 1, 0);
	assert_true(policy_cmp_pref(&p, E(&many), E(&few)) < 0);
	policy_of(&p, 0, 1, 1, 0);
	assert_true(policy_cmp_pref(&p, E(&few), E(&many)) < 0);
	/* -M and -m together: -M is looked at first */
	policy_of(&p, 1, 1, 0, 0);
	assert_true(policy_cmp_pref(&p, E(&many), E(&few)) < 0);
	/* the virtual link count (as links are made) is what counts */
	many.e.nlink = 1;
	policy_of(&p, 1, 0, 0, 0);
	assert_true(policy_cmp_pref(&p, E(&few), E(&many)) < 0);
	policy_release(&p);
}

static void
prioritize_trees_keeps_the_earliest_operand(void **state)
{
	struct policy p = {0};
	struct rec first, second;

	(void)state;
	rec_init(&first, 9, 100, 1, 0);
	rec_init(&second, 1, 200, 1, 1);
	policy_of(&p, 0, 0, 1, 0);
	assert_true(policy_cmp_pref(&p, E(&first), E(&second)) < 0);
	/* without -F the newer file of the second operand wins */
	policy_of(&p, 0, 0, 0, 0);
	assert_true(policy_cmp_pref(&p, E(&second), E(&first)) < 0);
	/* ties on the operand fall to time, then inode */
	second.e.op = 0;
	policy_of(&p, 0, 0, 1, 1);
	assert_true(policy_cmp_pref(&p, E(&first), E(&second)) < 0);
	policy_release(&p);
}

/*
 * The oracle: the preference as a key, smallest first.  -M: more links
 * first; -m: fewer; -F: lower operand; then mtime in seconds, newest
 * first (-O oldest); then the inode.
 */
static void
pref_key(const struct rec *r, int max, int min, int prio, int oldest,
	 int64_t key[5])
{
	key[0] = max ? -(int64_t)r->e.nlink : 0;
	key[1] = min ? (int64_t)r->e.nlink : 0;
	key[2] = prio ? (int64_t)r->e.op : 0;
	key[3] = oldest ? r->f.mtime : -r->f.mtime;
	key[4] = (int64_t)r->f.ino;
}

static int
sign(int64_t v)
{
	return (v > 0) - (v < 0);
}

static int
oracle_pref(const struct rec *a, const struct rec *b, int max, int min,
	    int prio, int oldest)
{
	int64_t ka[5], kb[5];

	pref_key(a, max, min, prio, oldest, ka);
	pref_key(b, max, min, prio, oldest, kb);
	for (int i = 0; i < 5; i++) {
		if (ka[i] != kb[i])
			return ka[i] < kb[i] ? -1 : 1;
	}
	return 0;
}

#define NREC 40

/* A small generator of our own: the same entries on every libc. */
static uint32_t rng_state;

static void
rng_seed(uint32_t seed)
{
	rng_state = seed * 2654435761u + 1;
}

static int
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return (int)(rng_state >> 1);
}

static void
make_recs(struct rec *r, unsigned seed)
{
	rng_seed(seed);
	for (int i = 0; i < NREC; i++) {
		/* few values, so that every rule meets ties */
		rec_init(&r[i], (uint64_t)(rng() % 8 + 1), 100 + rng() % 3,
			 (uint32_t)(rng() % 3 + 1), (uint32_t)(rng() % 2));
		r[i].f.mtime_ns = (uint32_t)(rng() % 1000000000);
		r[i].e.nlink = (uint32_t)(rng() % 3 + 1);
	}
}

static void
preference_matches_oracle_for_every_option_combination(void **state)
{
	struct rec r[NREC];

	(void)state;
	make_recs(r, 1);
	for (unsigned combo = 0; combo < 16; combo++) {
		int max = combo & 1, min = !!(combo & 2);
		int prio = !!(combo & 4), oldest = !!(combo & 8);
		struct policy p = {0};

		policy_of(&p, max, min, prio, oldest);
		for (int i = 0; i < NREC; i++) {
			for (int j = 0; j < NREC; j++) {
				int got = sign(policy_cmp_pref(&p, E(&r[i]),
							       E(&r[j])));
				int want = oracle_pref(&r[i], &r[j], max, min,
						       prio, oldest);

				if (got != want)
					fail_msg("combo %u: %d vs %d: got %d, "
						 "want %d",
						 combo, i, j, got, want);
			}
		}
		policy_release(&p);
	}
}

/* ---- the attribute key -------------------------------------------------- */

static void
attrs_of(struct policy *p, unsigned combo)
{
	struct options o = {0};

	o.ign_mode = combo & 1;
	o.ign_owner = !!(combo & 2);
	o.ign_time = !!(combo & 4);
	o.respect_name = !!(combo & 8);
	o.respect_dir = !!(combo & 16);
	policy_release(p);
	policy_init(p, &o);
}

/* Each attribute alone, against the option that ignores or respects it. */
static void
each_attribute_splits_unless_ignored(void **state)
{
	struct policy p = {0};
	struct rec a, b;

	(void)state;
	rec_init(&a, 1, 100, 1, 0);
	rec_init(&b, 2, 100, 1, 0);
	attrs_of(&p, 0);
	assert_int_equal(policy_cmp_attrs(&p, E(&a), E(&b)), 0);

	b.f.mode = 0100755; /* mode: -p ignores it */
	assert_true(policy_cmp_attrs(&p, E(&a), E(&b)) != 0);
	attrs_of(&p, 1);
	assert_int_equal(policy_cmp_attrs(&p, E(&a), E(&b)), 0);

	rec_init(&b, 2, 100, 1, 0);
	b.f.gid = 7; /* owner: -o ignores it */
	attrs_of(&p, 0);
	assert_true(policy_cmp_attrs(&p, E(&a), E(&b)) != 0);
	attrs_of(&p, 2);
	assert_int_equal(policy_cmp_attrs(&p, E(&a), E(&b)), 0);

	rec_init(&b, 2, 101, 1, 0); /* mtime second: -t ignores it */
	attrs_of(&p, 0);
	assert_true(policy_cmp_attrs(&p, E(&a), E(&b)) != 0);
	attrs_of(&p, 4);
	assert_int_equal(policy_cmp_attrs(&p, E(&a), E(&b)), 0);
	rec_init(&b, 2, 100, 1, 0); /* nanoseconds never split */
	b.f.mtime_ns = 5;
	attrs_of(&p, 0);
	assert_int_equal(policy_cmp_attrs(&p, E(&a), E(&b)), 0);

	rec_init(&b, 2, 100, 1, 0); /* name: only -f looks */
	b.f.name = "g";
	assert_int_equal(policy_cmp_attrs(&p, E(&a), E(&b)), 0);
	attrs_of(&p, 8);
	assert_true(policy_cmp_attrs(&p, E(&a), E(&b)) != 0);
	policy_release(&p);
}

static void
respect_dir_compares_the_part_below_the_operand(void **state)
{
	struct policy p = {0};
	struct rec a, b, c;

	(void)state;
	rec_init(&a, 1, 100, 1, 0);
	rec_init(&b, 2, 100, 1, 1);
	rec_init(&c, 3, 100, 1, 0);
	a.f.dir = r1_x; /* /t/one/x/f */
	b.f.dir = r2_x; /* /t/two/x/f: the same part "/x/" */
	c.f.dir = r1_y; /* /t/one/y/f */
	attrs_of(&p, 16);
	assert_int_equal(policy_cmp_attrs(&p, E(&a), E(&b)), 0);
	assert_true(policy_cmp_attrs(&p, E(&a), E(&c)) != 0);
	assert_true(policy_cmp_attrs(&p, E(&a), E(&c)) ==
		    -policy_cmp_attrs(&p, E(&c), E(&a)));
	attrs_of(&p, 0);
	assert_int_equal(policy_cmp_attrs(&p, E(&a), E(&c)), 0);
	policy_release(&p);
}

static void
attribute_key_matches_oracle_for_every_option_combination(void **state)
{
	struct dnode *dirs[3] = {r1_x, r2_x, r1_y};
	static const char *const names[] = {"f", "g"};
	struct rec r[NREC];

	(void)state;
	rng_seed(2);
	for (int i = 0; i < NREC; i++) {
		rec_init(&r[i], (uint64_t)i + 1, 100 + rng() % 2, 1, 0);
		r[i].f.mode = rng() % 2 ? 0100644 : 0100600;
		r[i].f.uid = (uint32_t)(rng() % 2);
		r[i].f.gid = (uint32_t)(rng() % 2);
		r[i].f.name = names[rng() % 2];
		r[i].f.dir = dirs[rng() % 3];
	}
	for (unsigned combo = 0; combo < 32; combo++) {
		struct policy p = {0};

		attrs_of(&p, combo);
		for (int i = 0; i < NREC; i++) {
			for (int j = 0; j < NREC; j++) {
				const struct spec *x = &r[i].f, *y = &r[j].f;
				int same =
					((combo & 1) || x->mode == y->mode) &&
					((combo & 2) || (x->uid == y->uid &&
							 x->gid == y->gid)) &&
					((combo & 4) || x->mtime == y->mtime) &&
					(!(combo & 8) ||
					 !strcmp(x->name, y->name)) &&
					(!(combo & 16) ||
					 /* r1_x and r2_x share "/x/" */
					 (x->dir == r1_y) == (y->dir == r1_y));
				int got = policy_cmp_attrs(&p, E(&r[i]),
							   E(&r[j]));

				if ((got == 0) != same)
					fail_msg("combo %u: %d vs %d: got %d",
						 combo, i, j, got);
				if (sign(got) !=
				    -sign(policy_cmp_attrs(&p, E(&r[j]),
							   E(&r[i]))))
					fail_msg("combo %u: not antisymmetric",
						 combo);
			}
		}
		policy_release(&p);
	}
}

/* ---- entry keys and the sort -------------------------------------------- */

static void
entry_key_splits_an_inode_by_name_and_dir(void **state)
{
	struct policy p = {0};
	struct rec a, b;
	struct options o = {0};

	(void)state;
	rec_init(&a, 7, 100, 2, 0);
	rec_init(&b, 7, 100, 2, 0); /* a second link of the inode */
	b.f.name = "g";
	b.f.dir = r1_y;
	policy_init(&p, &o);
	assert_true(policy_same_entry(&p, F(&a), F(&b)));
	o.respect_name = 1;
	policy_release(&p);
	policy_init(&p, &o);
	assert_false(policy_same_entry(&p, F(&a), F(&b)));
	o.respect_name = 0;
	o.respect_dir = 1;
	policy_release(&p);
	policy_init(&p, &o);
	assert_false(policy_same_entry(&p, F(&a), F(&b)));
	b.f.dir = root1;
	a.f.dir = root1;
	assert_true(policy_same_entry(&p, F(&a), F(&b)));
	/* another inode is another entry whatever the options */
	b.f.ino = 8;
	assert_false(policy_same_entry(&p, F(&a), F(&b)));
	assert_true(policy_cmp_entry(&p, F(&a), F(&b)) < 0);
	policy_release(&p);
}

static void
sort_groups_attribute_runs_with_their_master_first(void **state)
{
	struct policy p = {0};
	struct rec r[4];
	struct ent *v[4];
	struct options o = {0};

	(void)state;
	rec_init(&r[0], 4, 100, 1, 0); /* mode 644, older */
	rec_init(&r[1], 3, 200, 1, 0); /* mode 600 */
	rec_init(&r[2], 2, 100, 1, 0); /* mode 644, same age, lower inode */
	rec_init(&r[3], 1, 300, 1, 0); /* mode 600, newest */
	r[0].f.mtime = r[2].f.mtime = 150;
	r[1].f.mode = r[3].f.mode = 0100600;
	r[1].f.mtime = r[3].f.mtime = 150;
	r[3].f.mtime = 150;
	for (int i = 0; i < 4; i++)
		v[i] = E(&r[i]);
	policy_init(&p, &o);
	policy_sort(&p, v, 4);
	/* two runs (600 then 644), each with its lowest inode first */
	assert_ptr_equal(v[0], E(&r[3]));
	assert_ptr_equal(v[1], E(&r[1]));
	assert_ptr_equal(v[2], E(&r[2]));
	assert_ptr_equal(v[3], E(&r[0]));
	assert_true(policy_cmp_attrs(&p, v[1], v[2]) != 0);
	policy_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(newest_mtime_is_kept_then_lowest_inode),
		cmocka_unit_test(keep_oldest_prefers_the_oldest_mtime),
		cmocka_unit_test(
			maximize_and_minimize_decide_before_time_and_trees),
		cmocka_unit_test(prioritize_trees_keeps_the_earliest_operand),
		cmocka_unit_test(
			preference_matches_oracle_for_every_option_combination),
		cmocka_unit_test(each_attribute_splits_unless_ignored),
		cmocka_unit_test(
			respect_dir_compares_the_part_below_the_operand),
		cmocka_unit_test(
			attribute_key_matches_oracle_for_every_option_combination),
		cmocka_unit_test(entry_key_splits_an_inode_by_name_and_dir),
		cmocka_unit_test(
			sort_groups_attribute_runs_with_their_master_first),
	};

	return cmocka_run_group_tests(tests, setup_tree, release_tree);
}
