#include "tape.h"

#include <string.h>

#include "fault.h"
#include "hook.h"
#include "mem.h"

#define TAPE_INITIAL_CAP 256

void tape_init(Tape *t, size_t max_entries)
{
    memset(t, 0, sizeof *t);
    t->max_entries = max_entries ? max_entries : TAPE_DEFAULT_MAX_ENTRIES;
}

static EngErr tape_grow(Tape *t)
{
    if (t->cap >= t->max_entries)
        return ENG_ETAPE;
    size_t cap = t->cap ? t->cap * 2 : TAPE_INITIAL_CAP;
    if (cap > t->max_entries)
        cap = t->max_entries;
    size_t bytes;
    if (!size_mul(cap, sizeof(TapeEntry), &bytes))
        return ENG_EOVERFLOW;
    TapeEntry *e = mem_alloc(bytes, "tape.entries");
    if (!e)
        return ENG_ENOMEM;
    if (t->len)
        memcpy(e, t->entries, t->len * sizeof(TapeEntry));
    mem_free(t->entries, t->cap * sizeof(TapeEntry), "tape.entries");
    t->entries = e;
    t->cap = cap;
    t->grows++;
    ENG_EVENT(EV_TAPE_GROW, bytes, cap, "tape", 0, 0);
    return ENG_OK;
}

EngErr tape_push(Tape *t, const TapeEntry *e)
{
    if (t->len == t->cap) {
        EngErr err = tape_grow(t);
        if (err)
            return err;
    }
    t->entries[t->len++] = *e;
    ENG_EVENT(EV_TAPE_PUSH, sizeof *e, t->len, e->op, 0, 0);
    return ENG_OK;
}

void tape_clear(Tape *t)
{
    if (fault_tape_keep()) { /* the seed's tape that grew and never shrank */
        t->base = t->len;
        return;
    }
    ENG_EVENT(EV_TAPE_CLEAR, 0, t->len, "tape", 0, 0);
    t->len = 0;
}

void tape_free(Tape *t)
{
    if (t->cap)
        ENG_EVENT(EV_TAPE_SHRINK, 0, 0, "tape", 0, 0);
    mem_free(t->entries, t->cap * sizeof(TapeEntry), "tape.entries");
    t->entries = NULL;
    t->len = t->cap = t->base = 0;
}
