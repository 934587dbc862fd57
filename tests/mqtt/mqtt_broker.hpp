// A private mosquitto broker for one test: its own temporary directory (configuration, password
// and ACL files, TLS certificates made with openssl, the broker's log) and its own free port on
// 127.0.0.1. Started in the constructor, ready when the constructor returns (checked by connecting
// to it, not by sleeping), killed and waited for in the destructor. POSIX (Linux) only.
//
// The broker stays the user that runs the tests ("user root" when that is root): a broker that
// drops privileges cannot read a root-only temporary directory, and the kernel clears a process's
// parent-death signal when it changes user. That signal (SIGKILL) is what removes a broker whose
// test process crashed or was killed by ctest's timeout before its destructor could run. It fires
// when the thread that started the broker ends: start brokers on the test's main thread.
//
// Programs: DDNN_TEST_MOSQUITTO, DDNN_TEST_MOSQUITTO_PASSWD and DDNN_TEST_OPENSSL (paths, set by
// tests/mqtt/CMakeLists.txt).
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifndef DDNN_TEST_MOSQUITTO
#define DDNN_TEST_MOSQUITTO "/usr/sbin/mosquitto"
#endif
#ifndef DDNN_TEST_MOSQUITTO_PASSWD
#define DDNN_TEST_MOSQUITTO_PASSWD "/usr/bin/mosquitto_passwd"
#endif
#ifndef DDNN_TEST_OPENSSL
#define DDNN_TEST_OPENSSL "/usr/bin/openssl"
#endif

namespace fixtures {

/// Starts `argv[0]` with `argv`, its stdout and stderr appended to `log`, and arranges for it to
/// be killed when the calling thread ends. Returns its pid; throws std::runtime_error when fork()
/// fails.
inline pid_t spawn_program(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  // Everything the child needs is made before fork(): between fork() and exec() a child of a
  // multithreaded process may only make async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent is already gone
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Runs a program to its end; throws std::runtime_error with its output when it fails.
inline void run_program(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const pid_t pid = spawn_program(argv, log);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string command;
    for (const std::string& arg : argv) command += arg + " ";
    throw std::runtime_error("test fixture: `" + command + "` failed:\n" + read_text(log));
  }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free loopback port");
  return ntohs(address.sin_port);
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
inline bool loopback_port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(std::uint16_t(port));
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return open;
}

/// A fresh directory under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ddnn-mqtt-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Makes a self-signed certificate authority `<stem>.crt` / `<stem>.key` in `dir`.
inline void make_certificate_authority(const std::filesystem::path& dir, const std::string& stem) {
  run_program(
      {DDNN_TEST_OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=ddnn test CA " + stem,
       "-keyout", (dir / (stem + ".key")).string(), "-out", (dir / (stem + ".crt")).string()},
      dir / "openssl.log");
}

struct MqttBrokerOptions {
  /// User names and passwords: a password file, and anonymous clients are refused.
  std::vector<std::pair<std::string, std::string>> users;
  std::string acl;   ///< the ACL file's text (none when empty)
  bool tls = false;  ///< a TLS listener with a certificate for 127.0.0.1 and localhost
};

class MqttBroker {
 public:
  explicit MqttBroker(MqttBrokerOptions options = {}) : options_(std::move(options)) {
    write_files();
    // Another process may take the free port before the broker binds it: then try another.
    for (int attempt = 0;; ++attempt) {
      port_ = free_loopback_port();
      write_config();
      if (launch()) return;
      if (attempt == 4) {
        throw std::runtime_error("test fixture: mosquitto did not start:\n" + log());
      }
    }
  }
  ~MqttBroker() { stop(); }
  MqttBroker(const MqttBroker&) = delete;
  MqttBroker& operator=(const MqttBroker&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
  /// The CA that signed a TLS broker's certificate.
  [[nodiscard]] std::string ca_file() const { return (dir() / "ca.crt").string(); }
  [[nodiscard]] std::string log() const { return read_text(dir() / "broker.log"); }
  [[nodiscard]] bool running() const { return pid_ > 0; }

  /// Stops the broker and waits for it to end: SIGKILL (the default) is a crash, no client is
  /// told; SIGTERM an orderly stop (SIGKILL after 5 s).
  void stop(int signal = SIGKILL) noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (true) {
      const pid_t done = ::waitpid(pid_, &status, signal == SIGKILL ? 0 : WNOHANG);
      if (done == pid_ || (done < 0 && errno != EINTR)) break;
      if (done == 0 && std::chrono::steady_clock::now() > deadline) ::kill(pid_, SIGKILL);
      if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

  /// Replaces the password file (the broker must have been made with users); restart() reads it.
  void replace_users(std::vector<std::pair<std::string, std::string>> users) {
    if (options_.users.empty() || users.empty())
      throw std::runtime_error("test fixture: replace_users needs a broker made with users");
    options_.users = std::move(users);
    write_passwords();
  }

  /// Starts the broker again on the same port (after stop()).
  void restart() {
    stop();
    // The port can stay taken for a moment after the old broker died.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!launch()) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("test fixture: mosquitto did not restart:\n" + log());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

 private:
  // Starts the broker; true once it accepts connections, false when it exited (a taken port).
  bool launch() {
    pid_ = spawn_program({DDNN_TEST_MOSQUITTO, "-c", (dir() / "mosquitto.conf").string()},
                         dir() / "broker.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (loopback_port_open(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    throw std::runtime_error("test fixture: mosquitto accepted no connection within 10 s:\n" +
                             log());
  }

  void write_passwords() {
    const auto& d = dir();
    bool first = true;  // -c: a new file
    for (const auto& [user, password] : options_.users) {
      std::vector<std::string> argv{DDNN_TEST_MOSQUITTO_PASSWD, "-b"};
      if (first) argv.push_back("-c");
      argv.insert(argv.end(), {(d / "passwords").string(), user, password});
      run_program(argv, d / "mosquitto_passwd.log");
      first = false;
    }
  }

  void write_files() {
    const auto& d = dir();
    if (!options_.users.empty()) write_passwords();
    if (!options_.acl.empty()) std::ofstream(d / "acl") << options_.acl;
    if (options_.tls) {
      make_certificate_authority(d, "ca");
      std::ofstream(d / "server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
      run_program({DDNN_TEST_OPENSSL, "req", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost", "-keyout",
                   (d / "server.key").string(), "-out", (d / "server.csr").string()},
                  d / "openssl.log");
      run_program(
          {DDNN_TEST_OPENSSL, "x509", "-req", "-days", "2", "-in", (d / "server.csr").string(),
           "-CA", (d / "ca.crt").string(), "-CAkey", (d / "ca.key").string(), "-CAcreateserial",
           "-extfile", (d / "server.ext").string(), "-out", (d / "server.crt").string()},
          d / "openssl.log");
    }
  }

  void write_config() {
    const auto& d = dir();
    std::ostringstream config;
    config << "listener " << port_ << " 127.0.0.1\n"
           << "persistence false\n"
           << "log_dest stderr\nlog_type error\nlog_type warning\n";
    if (::geteuid() == 0) config << "user root\n";  // see the file comment
    if (options_.users.empty()) {
      config << "allow_anonymous true\n";
    } else {
      config << "allow_anonymous false\npassword_file " << (d / "passwords").string() << "\n";
    }
    if (!options_.acl.empty()) config << "acl_file " << (d / "acl").string() << "\n";
    if (options_.tls) {
      config << "cafile " << (d / "ca.crt").string() << "\ncertfile " << (d / "server.crt").string()
             << "\nkeyfile " << (d / "server.key").string() << "\n";
    }
    std::ofstream(d / "mosquitto.conf") << config.str();
  }

  MqttBrokerOptions options_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace fixtures
