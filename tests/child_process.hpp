// Runs a test body in a forked child process, for checks that change process-wide limits
// (address space, file size) that must not leak into the rest of the suite. POSIX only.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>

namespace fixtures {

/// The child's exit status (0..255), or 256 + the signal that ended it. The body's return value
/// is the exit status; an exception escaping it is status 255.
template <class Body>
int run_in_child(Body&& body) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int status = 255;
    try {
      status = body();
    } catch (...) {
    }
    std::_Exit(status);  // no atexit handlers, no doctest reporting from the child
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 256 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace fixtures

#include <sys/resource.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>

#if defined(__has_feature)
#define DDNN_TEST_HAS_FEATURE(x) __has_feature(x)
#else
#define DDNN_TEST_HAS_FEATURE(x) 0
#endif

namespace fixtures {

/// Caps this process's address space at what it maps now plus `headroom` bytes. Returns false
/// where the cap is not enforced (an emulator such as qemu-user ignores it): checked by trying
/// to allocate past it.
inline bool cap_address_space(std::size_t headroom) {
  std::size_t pages = 0;
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%zu", &pages) != 1) pages = 0;
    std::fclose(statm);
  }
  if (pages == 0) return false;
  const auto limit = rlim_t(pages * std::size_t(::sysconf(_SC_PAGESIZE)) + headroom);
  const rlimit cap{limit, limit};
  if (::setrlimit(RLIMIT_AS, &cap) != 0) return false;
  void* probe = std::malloc(headroom * 2);
  const bool enforced = probe == nullptr;
  std::free(probe);
  return enforced;
}

}  // namespace fixtures
