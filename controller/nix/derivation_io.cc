#include "controller/nix/derivation_io.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <unordered_set>
#include <utility>

namespace hydrant::nix {
namespace {

std::string cannotRead(const std::string& path, int err) {
  return "cannot read " + path + ": " + std::error_code(err, std::generic_category()).message();
}

// The whole file. read(2) rather than a stream, so the error names the reason (errno).
Result<std::string> readFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::transient(cannotRead(path, errno));
  std::string text;
  char buf[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error::transient(cannotRead(path, err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// One derivation on the walk's stack, with the input derivations still to visit.
struct Frame {
  std::string drv_path;
  Derivation derivation;
  std::vector<std::string> inputs;
  size_t next = 0;
};

Result<Frame> frameFor(const std::string& drv_path) {
  Result<Derivation> d = readDerivation(drv_path);
  if (!d) return d.error();
  Frame frame{drv_path, std::move(*d), {}, 0};
  for (const auto& [input, outputs] : frame.derivation.input_drvs) frame.inputs.push_back(input);
  return frame;
}

Error cycle(const std::vector<Frame>& stack, const std::string& back_to) {
  std::string message = "derivation cycle: ";
  bool in_cycle = false;
  for (const Frame& frame : stack) {
    in_cycle = in_cycle || frame.drv_path == back_to;
    if (in_cycle) message += frame.drv_path + " -> ";
  }
  return Error::invalid(message + back_to);
}

}  // namespace

Result<Derivation> readDerivation(const std::string& drv_path) {
  Result<std::string> text = readFile(drv_path);
  if (!text) return text.error();
  Result<Derivation> d = parseDerivation(*text);
  if (!d) return Error::invalid(drv_path + ": " + d.error().message);
  return d;
}

Result<std::vector<ClosureEntry>> readClosure(const std::string& drv_path,
                                              const KnownDerivation& known) {
  // Depth-first, emitting a derivation once all its inputs are emitted (post-order). `seen`
  // holds every path already emitted, on the stack, or known, so each is read and asked once.
  std::vector<ClosureEntry> closure;
  std::vector<Frame> stack;
  std::unordered_set<std::string> seen{drv_path};
  std::unordered_set<std::string> on_stack{drv_path};
  Result<Frame> root = frameFor(drv_path);
  if (!root) return root.error();
  stack.push_back(std::move(*root));
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.inputs.size()) {
      on_stack.erase(top.drv_path);
      closure.push_back({std::move(top.drv_path), std::move(top.derivation)});
      stack.pop_back();
      continue;
    }
    const std::string input = top.inputs[top.next++];
    if (on_stack.count(input) != 0) return cycle(stack, input);
    if (!seen.insert(input).second || (known && known(input))) continue;
    Result<Frame> frame = frameFor(input);
    if (!frame) return frame.error();
    on_stack.insert(input);
    stack.push_back(std::move(*frame));
  }
  return closure;
}

}  // namespace hydrant::nix
