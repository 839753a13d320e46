/*
 * json.h - the --json document, written as the run goes (see json.c).
 */
#ifndef HL_JSON_H
#define HL_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "run.h"

/* Where the writer is inside the document; {0} before json_begin. */
struct json {
	int state;  /* inside a group: kept file, or members */
	int groups; /* groups written */
	int paths;  /* paths written in the current file */
};

void json_begin(struct json *j);
/* split: why this group continues the previous one, or NULL. */
void json_group(struct json *j, const struct fent *kept, const char *split);
void json_member(struct json *j, const struct fent *f);
void json_path(struct json *j, const char *path, const char *action,
	       const char *error);
void json_group_end(struct json *j, uint64_t linked, uint64_t saved);
/* The summary object and the end of the document. */
void json_end(struct json *j, const struct run *r, double duration,
	      int warnings);
/* s as a JSON string (see json.c for names that are not UTF-8). */
void json_string(FILE *out, const char *s);

#endif /* HL_JSON_H */
