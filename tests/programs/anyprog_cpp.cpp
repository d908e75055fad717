// anyprog_cpp - a C++ training loop of someone else's, for tests/test_anyprog.c: a history
// of every step's loss that is never trimmed (reachable growth through std::vector and
// std::string), with its steps marked through include/flatmem.h.
//   anyprog_cpp ITERATIONS
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "flatmem.h"

namespace trainer {

struct Record {
    std::string note;
    double loss;
};

class History {
  public:
    // Keeps every step's record: 1 KiB or so each, never let go.
    __attribute__((noinline)) void remember_step(long step, double loss)
    {
        records_.push_back(Record{std::string(1000, static_cast<char>('a' + step % 26)), loss});
    }
    std::size_t size() const { return records_.size(); }

  private:
    std::vector<Record> records_;
};

} // namespace trainer

int main(int argc, char **argv)
{
    long iters = argc == 2 ? std::atol(argv[1]) : 0;
    if (iters <= 0) {
        std::fprintf(stderr, "usage: anyprog_cpp ITERATIONS\n");
        return 2;
    }
    trainer::History history;
    double loss = 4.0;
    for (long step = 1; step <= iters; step++) {
        std::vector<float> scratch(256, 1.0f); // given back every step
        loss *= 0.999;
        history.remember_step(step, loss + scratch[0] * 0);
        flatmem_step(static_cast<unsigned long long>(step));
        struct timespec pause = {0, 100 * 1000}; // a step takes a while
        nanosleep(&pause, nullptr);
    }
    std::printf("anyprog_cpp: %ld steps, %zu records\n", iters, history.size());
    return 0;
}
