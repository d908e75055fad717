/* ci.h - the soak's answer where CI reviewers look (docs/ci.md):
 *   - OUT/summary.md, always: the overall verdict, the diagnosis as a table (one row per
 *     problem) with each problem's top frames and the modes that could not see it, and the
 *     verdicts, mode x count;
 *   - with --annotate github (the default when GITHUB_ACTIONS=true): one GitHub workflow
 *     annotation per problem on stdout ("::error file=F,line=L,title=T::MESSAGE" for a
 *     problem that fails the soak, ::notice for one that does not; without file= and
 *     line= when no tool named a source line), and summary.md appended to the file
 *     $GITHUB_STEP_SUMMARY names, when it is set.
 *
 *     ci_write_summary_md(res, out, err, sizeof err);
 *     if (res->annotate) ci_annotate(res, stdout), ci_step_summary(out, err, sizeof err);
 */
#ifndef HARNESS_CI_H
#define HARNESS_CI_H

#include <stdio.h>

struct SoakResult;

/* Writes OUT/summary.md (a temporary file, then renamed). 0, or -1 with a message in err. */
int ci_write_summary_md(const struct SoakResult *res, const char *out, char *err, size_t errlen);

/* Prints the annotations of res's diagnosis to f. */
void ci_annotate(const struct SoakResult *res, FILE *f);

/* Appends OUT/summary.md to $GITHUB_STEP_SUMMARY when that is set. 0 (also when it is not
 * set), or -1 with a message in err. */
int ci_step_summary(const char *out, char *err, size_t errlen);

/* A workflow command's message (escape_props 0) or property value (1): '%', CR and LF
 * (and ':' and ',' in properties) percent-encoded, as GitHub's runner expects. */
void ci_escape(const char *in, char *out, size_t cap, int escape_props);

#endif
