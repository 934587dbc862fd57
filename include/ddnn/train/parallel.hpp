// WorkerPool: a fixed set of threads that run a fixed list of tasks. Training splits its work
// into a fixed number of chunks that does not depend on the thread count and combines the
// chunks' partial results in chunk order, so a run gives the same bits on 1 thread or many.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "ddnn/core/error.hpp"

DDNN_BEGIN_NAMESPACE
namespace train {

/// Runs tasks 0..n-1 on `threads` threads (the caller is one of them): task i always runs on
/// thread i % threads, but results never depend on that, only on the task index. The first
/// exception a task throws is rethrown by run() after every task has finished.
///
/// A training step calls run() a few dozen times with little work in between, so a thread that
/// waits spins briefly (spin_wait) before it sleeps: waking a sleeping thread took about 45 us a
/// run() on a 2-vCPU VM, against 0.4 us spinning (and 4 us with 2 threads on 1 CPU).
class WorkerPool {
 public:
  /// Throws ddnn::error for 0 threads or more than 64.
  explicit WorkerPool(std::size_t threads = 1) : threads_(threads) {
    if (threads == 0 || threads > 64) detail::fail("WorkerPool: threads must lie in [1, 64]");
    for (std::size_t t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work(t); });
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
  }

  [[nodiscard]] std::size_t threads() const noexcept { return threads_; }

  /// Calls task(i) for every i in [0, tasks); returns when all are done. Not reentrant: a task
  /// must not call run() on the same pool.
  void run(std::size_t tasks, const std::function<void(std::size_t)>& task) {
    if (threads_ == 1 || tasks <= 1) {
      for (std::size_t i = 0; i < tasks; ++i) task(i);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      tasks_ = tasks;
      pending_.store(std::min(tasks, threads_) - 1, std::memory_order_relaxed);
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    run_share(0);
    if (!spin_wait([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    std::lock_guard lock(mutex_);
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void run_share(std::size_t thread) {
    try {
      for (std::size_t i = thread; i < tasks_; i += threads_) (*task_)(i);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }

  /// Spins until ready() or about spin_time has passed; returns ready(). After the first few
  /// rounds it yields the CPU each round, so that with more threads than CPUs the thread it
  /// waits for can run (spinning alone cost 200 us a run() with 2 threads on 1 CPU).
  template <class Ready>
  static bool spin_wait(Ready ready) noexcept {
    const auto until = std::chrono::steady_clock::now() + spin_time;
    for (unsigned i = 1;; ++i) {
      if (ready()) return true;
      if (i < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
      } else {
        std::this_thread::yield();
      }
      if (i % 16 == 0 && std::chrono::steady_clock::now() > until) return ready();
    }
  }

  void work(std::size_t thread) {
    std::size_t seen = 0;
    for (;;) {
      const auto next = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_wait(next)) {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, next);
      }
      std::size_t tasks = 0;
      {
        std::lock_guard lock(mutex_);
        seen = generation_.load(std::memory_order_relaxed);
        if (stopping_) return;
        tasks = tasks_;
      }
      if (thread >= tasks) continue;  // fewer tasks than threads: nothing for this one
      run_share(thread);
      {
        std::lock_guard lock(mutex_);
        pending_.fetch_sub(1, std::memory_order_release);
      }
      done_.notify_one();
    }
  }

  /// How long a waiting thread spins before it sleeps.
  static constexpr std::chrono::microseconds spin_time{100};

  std::size_t threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::size_t tasks_ = 0;
  std::atomic<std::size_t> pending_ = 0, generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace train
DDNN_END_NAMESPACE
