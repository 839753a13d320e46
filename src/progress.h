/*
 * progress.h - the one-line progress display on stderr (progress.c).
 * It registers itself as output.h's status line; main thread only, but
 * for the redraw, which output.h's out_tick may do from any thread.
 */
#ifndef HL_PROGRESS_H
#define HL_PROGRESS_H

#include "run.h"

enum progress_phase { PROGRESS_SCAN, PROGRESS_COMPARE };

/* Shows the line if asked (or stderr is a terminal); reads r's counters. */
void progress_start(const struct run *r);
void progress_phase(enum progress_phase phase);
/* Erases the line and unregisters it. */
void progress_end(void);

#endif /* HL_PROGRESS_H */
