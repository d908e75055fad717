/* soak - runs train_full over a matrix of iteration counts x modes (x faults), each run a
 * child process under a watchdog, and decides from the numbers whether memory stays
 * flat; and its companions (merge, report, baseline, workload, list, check, bisect, history). See
 * `soak --help`, commands.h and docs/soak.md. */
#include <string.h>

#include "commands.h"

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } k_commands[] = {
        {"merge", soak_merge},       {"report", soak_report}, {"baseline", soak_baseline},
        {"workload", soak_workload}, {"list", soak_list},     {"check", soak_check},
        {"bisect", soak_bisect},     {"history", soak_history},
    };
    for (size_t i = 0; argc >= 2 && i < sizeof k_commands / sizeof k_commands[0]; i++)
        if (!strcmp(argv[1], k_commands[i].name))
            return k_commands[i].run(argc, argv);
    return soak_main(argc, argv);
}
