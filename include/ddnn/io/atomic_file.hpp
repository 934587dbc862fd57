// Replacing a file atomically: readers see the old content or the new, never a half-written
// file, and a planted symlink or a failed write cannot damage anything else. POSIX.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <system_error>

#include "ddnn/core/error.hpp"

DDNN_BEGIN_NAMESPACE
namespace io {

namespace detail {
[[nodiscard]] inline std::string errno_text(int code) {
  return std::error_code(code, std::generic_category()).message();
}

/// A temporary file created exclusively (O_EXCL | O_NOFOLLOW) under an unpredictable name in
/// `directory`; removed by the destructor unless commit() renamed it into place.
class TemporaryFile {
 public:
  TemporaryFile(const std::filesystem::path& directory, const std::string& stem) {
    std::random_device entropy;
    for (int attempt = 0; attempt < 64 && fd_ < 0; ++attempt) {
      const std::uint64_t tag = std::uint64_t{entropy()} << 32 | entropy();
      path_ = directory / ("." + stem + "." + hex(tag) + ".partial");
      // 0666 as for any new file (the umask applies); never follow or reuse an existing name.
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (fd_ < 0 && errno != EEXIST)
        ddnn::detail::fail(path_.string() + ": cannot create (" + errno_text(errno) + ")");
    }
    if (fd_ < 0) ddnn::detail::fail(directory.string() + ": no free temporary file name");
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }

  void write(std::span<const char> bytes) {
    while (!bytes.empty()) {
      const ::ssize_t done = ::write(fd_, bytes.data(), bytes.size());
      if (done < 0 && errno == EINTR) continue;
      if (done <= 0)
        ddnn::detail::fail(path_.string() + ": write failed (" +
                           errno_text(done < 0 ? errno : EIO) + ")");
      bytes = bytes.subspan(static_cast<std::size_t>(done));
    }
  }

  /// Makes the data durable, then renames the file over `target`.
  void commit(const std::filesystem::path& target) {
    if (::fsync(fd_) != 0)
      ddnn::detail::fail(path_.string() + ": sync failed (" + errno_text(errno) + ")");
    const int closed = ::close(fd_);
    fd_ = -1;
    if (closed != 0)
      ddnn::detail::fail(path_.string() + ": close failed (" + errno_text(errno) + ")");
    if (::rename(path_.c_str(), target.c_str()) != 0)
      ddnn::detail::fail(target.string() + ": cannot replace it (" + errno_text(errno) + ")");
    committed_ = true;
  }

 private:
  static std::string hex(std::uint64_t value) {
    std::string text(16, '0');
    for (std::size_t i = 16; i-- > 0; value >>= 4) text[i] = "0123456789abcdef"[value & 15];
    return text;
  }

  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};
}  // namespace detail

/// Writes `bytes` to `file` atomically: into a new, exclusively created temporary file with an
/// unpredictable name beside it, synced, then renamed over `file`. On any failure the temporary
/// file is removed, `file` keeps its old content, and a ddnn::error says what failed. A symlink
/// at `file` is replaced, not followed.
inline void write_file_atomically(const std::filesystem::path& file, std::span<const char> bytes) {
  const std::filesystem::path directory =
      file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  detail::TemporaryFile temporary(directory, file.filename().string());
  temporary.write(bytes);
  temporary.commit(file);
}

}  // namespace io
DDNN_END_NAMESPACE
