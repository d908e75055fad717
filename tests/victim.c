/* victim - a stand-in for train_full in the watchdog tests (soak --program). Accepts and
 * ignores train_full's arguments; does what VICTIM says:
 *   alloc  touch memory without bound (the watchdog must stop it: OVER_BUDGET)
 *   sleep  sleep forever (TIMEOUT)
 *   segv   crash with SIGSEGV (CRASHED) */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *what = getenv("VICTIM");
    if (!what)
        return 3;
    if (!strcmp(what, "alloc")) {
        for (;;) {
            char *p = malloc(1 << 20);
            if (!p)
                return 4;
            memset(p, 1, 1 << 20);
            usleep(1000);
        }
    }
    if (!strcmp(what, "sleep"))
        for (;;)
            pause();
    if (!strcmp(what, "segv"))
        raise(SIGSEGV);
    return 5;
}
