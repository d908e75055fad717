// anyprog_cpp - a C++ training loop of someone else's, for tests/test_anyprog.c, its
// steps marked through include/flatmem.h. What it keeps, one a step:
//   history  every step's record with a 1000-character note, never trimmed (reachable
//            growth through std::vector and std::string, History::remember_step); the default
//   map      one entry a step in a std::map (Registry::add), while main's scratch buffer
//            of 64 KiB is taken and given back every step (not growth: only ever live
//            for a moment)
//   new      one 96-byte node a step from `new` (Pool::keep)
//   string   one 100-character std::string a step on a list (Log::append)
//   anyprog_cpp [history|map|new|string] ITERATIONS
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <list>
#include <map>
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

struct Entry {
    double loss, lr;
    long tokens;
};

class Registry {
  public:
    __attribute__((noinline)) void add(long step, double loss)
    {
        entries_[step] = Entry{loss, 1e-3, step * 64};
    }
    std::size_t size() const { return entries_.size(); }

  private:
    std::map<long, Entry> entries_;
};

struct Node {
    Node *next;
    char payload[88];
};

class Pool {
  public:
    __attribute__((noinline)) void keep(long step)
    {
        Node *n = new Node;
        std::memset(n->payload, static_cast<int>(step & 0x7f), sizeof n->payload);
        n->next = head_;
        head_ = n;
        count_++;
    }
    std::size_t size() const { return count_; }

  private:
    Node *head_ = nullptr;
    std::size_t count_ = 0;
};

class Log {
  public:
    __attribute__((noinline)) void append(long step)
    {
        lines_.push_back(std::string(100, static_cast<char>('a' + step % 26)));
    }
    std::size_t size() const { return lines_.size(); }

  private:
    std::list<std::string> lines_;
};

} // namespace trainer

int main(int argc, char **argv)
{
    const char *what = argc == 3 ? argv[1] : "history";
    long iters = argc >= 2 ? std::atol(argv[argc - 1]) : 0;
    bool known = !std::strcmp(what, "history") || !std::strcmp(what, "map") || !std::strcmp(what, "new") ||
                 !std::strcmp(what, "string");
    if (iters <= 0 || argc > 3 || !known) {
        std::fprintf(stderr, "usage: anyprog_cpp [history|map|new|string] ITERATIONS\n");
        return 2;
    }
    trainer::History history;
    trainer::Registry registry;
    trainer::Pool pool;
    trainer::Log log;
    double loss = 4.0;
    std::size_t kept = 0;
    for (long step = 1; step <= iters; step++) {
        loss *= 0.999;
        if (!std::strcmp(what, "history")) {
            std::vector<float> scratch(256, 1.0f); // given back every step
            history.remember_step(step, loss + scratch[0] * 0);
            kept = history.size();
        } else if (!std::strcmp(what, "map")) {
            std::vector<char> scratch(64 << 10, 1); // given back every step
            registry.add(step, loss + scratch[step % scratch.size()] * 0);
            kept = registry.size();
        } else if (!std::strcmp(what, "new")) {
            pool.keep(step);
            kept = pool.size();
        } else {
            log.append(step);
            kept = log.size();
        }
        flatmem_step(static_cast<unsigned long long>(step));
        struct timespec pause = {0, 100 * 1000}; // a step takes a while
        nanosleep(&pause, nullptr);
    }
    std::printf("anyprog_cpp %s: %ld steps, %zu kept\n", what, iters, kept);
    return 0;
}
