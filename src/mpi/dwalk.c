/*
 * dwalk.c - the walk of every operand, shared by the ranks.
 *
 * WORK STEALING
 *
 * A work item is a directory still to read: its operand, its path below
 * the operand's root and its walk key.  Rank 0 starts with the operands'
 * roots; every rank reads the directory on top of its own stack
 * (walk_dir: its files recorded, its subdirectories pushed) and, between
 * two directories, answers the messages that came: a rank that ran dry
 * asks a random peer (T_REQ), which gives the older half of its stack,
 * the shallowest directories and so the biggest pieces of work, or an
 * empty T_WORK when it has fewer than two.  An empty answer makes the
 * asker wait a little longer before it asks again (1 ms, doubling up to
 * 16 ms), so that idle ranks near the end do not flood each other.
 *
 * TERMINATION (Safra's token algorithm, with message counts)
 *
 * Each rank counts the non-empty T_WORK it sent minus those it received,
 * and turns black when it receives one.  Rank 0, idle, sends a white
 * token with count 0 around the ring; each rank, once idle, adds its
 * count, blackens the token if it is black itself, turns white and
 * passes it on.  When the token comes back white to a white, idle rank 0
 * and the counts add up to zero, no work is anywhere, in flight or not:
 * rank 0 sends T_TERM.  A rank still waiting for an answer then gets it
 * (empty), and every rank keeps answering requests until an
 * MPI_Ibarrier says that every rank got its answers: no message is left.
 *
 * WALK KEYS
 *
 * One process reads a directory's files before it enters its
 * subdirectories, in the order getdents returns them.  A directory's key
 * is its operand, then for each level the subdirectory's index plus one;
 * its j-th kept file's key is the directory's key, 0, j.  Keys compare
 * as strings of u32, in the order of the one-process walk: the owner of
 * a size group numbers its files' seq in that order (shuffle.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../names.h"
#include "../opts.h"
#include "../output.h"
#include "../sig.h"
#include "../util.h"
#include "../walk.h"
#include "hlmpi.h"

enum { T_REQ = 1, T_WORK, T_TOKEN, T_TERM };

struct item {
	struct dnode *d;
	uint32_t *key; /* in the arena */
	uint32_t klen;
};

struct dwalk {
	struct mpictx *m;
	struct run *r;
	struct filelist *fl;
	struct wkey *keys; /* one per fl->p[i] */
	size_t keycap;
	struct item *stk;
	size_t n, cap;
	struct item cur;   /* the directory being read */
	uint32_t nsub;	   /* its subdirectories so far */
	int64_t count;	   /* T_WORK items messages sent - received */
	int black;	   /* received work since the token last passed */
	int have_token;	   /* a token is here */
	int64_t tok_count; /* its count and colour */
	int tok_black;
	int token_out; /* rank 0: a token is going round */
	int asked;     /* a T_REQ of ours is unanswered */
	int term;
	unsigned backoff_us;
	uint64_t next_ask; /* now_us() before which we do not ask again */
	uint64_t rng;
	struct pathbuf pb;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

static void
push(struct dwalk *w, struct item it)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->stk = xrealloc(w->stk, w->cap * sizeof(*w->stk));
	}
	w->stk[w->n++] = it;
}

static void
send_msg(struct dwalk *w, const void *buf, int len, int to, int tag)
{
	MPI_Send(buf, len, MPI_BYTE, to, tag, MPI_COMM_WORLD);
	w->m->st.msgs++;
	w->m->st.msg_bytes += (uint64_t)len;
}

/* ---- work items on the wire: op, klen, key, rellen, rel (u32-padded) ---- */

static void
put(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	size_t pad = (n + 3) & ~(size_t)3;

	if (*len + pad > *cap) {
		*cap = (*len + pad) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, p, n);
	memset(*buf + *len + n, 0, pad - n);
	*len += pad;
}

/* Gives the older half of the stack to rank to (none when under two). */
static void
give(struct dwalk *w, int to)
{
	size_t k = w->n >= 2 ? w->n / 2 : 0, len = 0, cap = 0;
	char *buf = NULL;

	for (size_t i = 0; i < k; i++) {
		const struct item *it = &w->stk[i];
		uint32_t hdr[2] = {it->d->op, it->klen}, rl;

		mpi_rel(&w->pb, it->d);
		rl = (uint32_t)w->pb.len;
		put(&buf, &len, &cap, hdr, sizeof(hdr));
		put(&buf, &len, &cap, it->key, it->klen * sizeof(*it->key));
		put(&buf, &len, &cap, &rl, sizeof(rl));
		put(&buf, &len, &cap, w->pb.s, rl);
	}
	if (k) {
		memmove(w->stk, w->stk + k, (w->n - k) * sizeof(*w->stk));
		w->n -= k;
	}
	send_msg(w, buf, (int)len, to, T_WORK);
	if (k)
		w->count++;
	free(buf);
}

static void
take(struct dwalk *w, const char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		const uint32_t *h = (const void *)(buf + off);
		struct item it = {.klen = h[1]};
		uint32_t rl;

		off += 8;
		it.key = arena_alloc(it.klen * sizeof(*it.key));
		memcpy(it.key, buf + off, it.klen * sizeof(*it.key));
		off += it.klen * sizeof(*it.key);
		memcpy(&rl, buf + off, sizeof(rl));
		off += 4;
		it.d = mpi_dir(w->m, h[0], buf + off, rl);
		off += (rl + 3) & ~(size_t)3;
		push(w, it);
	}
}

static void
token_send(struct dwalk *w, int64_t count, int black)
{
	int64_t t[2] = {count, black};

	send_msg(w, t, sizeof(t), (w->m->rank + 1) % w->m->size, T_TOKEN);
}

/* Answers every message that came; returns how many. */
static int
serve(struct dwalk *w)
{
	MPI_Status s;
	int flag, len, got = 0;
	char *buf;

	for (;; got++) {
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag,
			   &s);
		if (!flag)
			return got;
		MPI_Get_count(&s, MPI_BYTE, &len);
		buf = xmalloc(len ? (size_t)len : 1);
		MPI_Recv(buf, len, MPI_BYTE, s.MPI_SOURCE, s.MPI_TAG,
			 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		switch (s.MPI_TAG) {
		case T_REQ: give(w, s.MPI_SOURCE); break;
		case T_WORK:
			w->asked = 0;
			if (len) {
				take(w, buf, (size_t)len);
				w->count--;
				w->black = 1;
				w->m->st.steals++;
				w->backoff_us = 1000;
				w->next_ask = 0;
			} else {
				w->next_ask = now_us() + w->backoff_us;
				if (w->backoff_us < 16000)
					w->backoff_us *= 2;
			}
			break;
		case T_TOKEN: {
			int64_t t[2];

			memcpy(t, buf, sizeof(t));
			w->have_token = 1;
			w->tok_count = t[0];
			w->tok_black = (int)t[1];
			break;
		}
		case T_TERM: w->term = 1; break;
		}
		free(buf);
	}
}

/* Idle: a short sleep, polling the run (signals). */
static void
idle(struct dwalk *w)
{
	struct timespec ts = {0, 200000};

	run_poll(w->r);
	nanosleep(&ts, NULL);
}

/* An idle rank with the token: passes it on, or (rank 0) decides. */
static void
token_idle(struct dwalk *w)
{
	if (w->m->rank == 0) {
		if (w->token_out && !w->have_token)
			return;
		if (w->have_token && !w->tok_black && !w->black &&
		    w->tok_count + w->count == 0) {
			for (int i = 1; i < w->m->size; i++)
				send_msg(w, NULL, 0, i, T_TERM);
			w->term = 1;
			return;
		}
		w->have_token = 0;
		w->black = 0;
		w->token_out = 1;
		token_send(w, 0, 0);
		return;
	}
	if (!w->have_token)
		return;
	w->have_token = 0;
	token_send(w, w->tok_count + w->count, w->tok_black || w->black);
	w->black = 0;
}

/* ---- reading one directory -------------------------------------------- */

static uint32_t *
key_extend(const struct item *it, uint32_t a, uint32_t b, int two)
{
	uint32_t *k = arena_alloc((it->klen + 2) * sizeof(*k));

	memcpy(k, it->key, it->klen * sizeof(*k));
	k[it->klen] = a;
	if (two)
		k[it->klen + 1] = b;
	return k;
}

static void
on_sub(void *arg, struct dnode *d)
{
	struct dwalk *w = arg;
	struct item it = {d, key_extend(&w->cur, ++w->nsub, 0, 0),
			  w->cur.klen + 1};

	push(w, it);
}

static void
keys_fill(struct dwalk *w, size_t from)
{
	if (w->fl->n > w->keycap) {
		w->keycap = w->fl->cap;
		w->keys = xrealloc(w->keys, w->keycap * sizeof(*w->keys));
	}
	for (size_t i = from; i < w->fl->n; i++) {
		w->keys[i].k = key_extend(&w->cur, 0, (uint32_t)(i - from), 1);
		w->keys[i].len = w->cur.klen + 2;
	}
}

static void
reverse(struct item *v, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		struct item t = v[i];

		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

static void
read_one(struct dwalk *w, struct item it)
{
	size_t before = w->fl->n, subs = w->n;

	w->cur = it;
	w->nsub = 0;
	mpi_dir_add(it.d);
	walk_dir(w->r, w->fl, it.d, w->m->ops[it.d->op].dev, on_sub, w);
	keys_fill(w, before);
	reverse(w->stk + subs, w->n - subs); /* the first one on top */
	w->m->st.dirs++;
}

/* After T_TERM: our answer, then requests answered until all are done. */
static void
drain(struct dwalk *w)
{
	MPI_Request rq;
	int done = 0;

	while (w->asked) {
		if (!serve(w))
			idle(w);
	}
	MPI_Ibarrier(MPI_COMM_WORLD, &rq);
	for (;;) {
		serve(w);
		MPI_Test(&rq, &done, MPI_STATUS_IGNORE);
		if (done)
			break;
		idle(w);
	}
}

/* Rank 0: the operands that are not directories, walked as one process. */
static void
seed(struct dwalk *w)
{
	for (int i = 0; i < w->m->nops; i++) {
		struct item it = {w->m->ops[i].d, arena_alloc(sizeof(uint32_t)),
				  1};
		size_t before = w->fl->n;

		it.key[0] = (uint32_t)i;
		if (w->m->ops[i].is_dir) {
			push(w, it);
			continue;
		}
		walk_operand(w->r, w->fl, opts.operands[i], (uint32_t)i);
		w->cur = it;
		keys_fill(w, before);
	}
	reverse(w->stk, w->n); /* the first operand on top */
}

/* Asks a random peer for work. */
static void
ask(struct dwalk *w)
{
	int to;

	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	to = (int)(w->rng % (uint64_t)(w->m->size - 1));
	if (to >= w->m->rank)
		to++;
	send_msg(w, NULL, 0, to, T_REQ);
	w->asked = 1;
	w->m->st.steal_tries++;
}

void
dwalk_run(struct mpictx *m, struct run *r, struct filelist *fl,
	  struct wkey **keys)
{
	struct dwalk w = {.m = m, .r = r, .fl = fl, .backoff_us = 1000};

	w.rng = 0x9e3779b97f4a7c15ull * (uint64_t)(m->rank + 1);
	if (m->rank == 0)
		seed(&w);
	while (!w.term) {
		if (m->size > 1)
			serve(&w);
		if (w.n) {
			read_one(&w, w.stk[--w.n]);
			run_poll(r);
			continue;
		}
		if (m->size == 1)
			break;
		if (!w.asked && now_us() >= w.next_ask)
			ask(&w);
		token_idle(&w);
		if (!w.term && !serve(&w))
			idle(&w);
	}
	if (m->size > 1)
		drain(&w);
	m->st.files = fl->files;
	free(w.stk);
	pathbuf_release(&w.pb);
	*keys = w.keys;
}
