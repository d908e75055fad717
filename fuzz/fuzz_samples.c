/* libFuzzer target: the samples CSV reader, and the analysis of what it reads. */
#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "samples.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Samples s;
    char err[256];
    if (samples_parse(&s, (const char *)data, size, err, sizeof err) != 0)
        return 0;
    Tolerance t = tolerance_defaults();
    RunAnalysis an;
    analyze_run(&s, 1000, &t, 1, &an);
    samples_free(&s);
    return 0;
}
