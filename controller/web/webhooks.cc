// POST /api/push-github, /api/push-gitea and /api/push: the only requests that change anything,
// and all they change is "look now" — a jobset's triggertime, or a NOTIFY that makes the specs
// reconcilers read a spec again. Everything else still comes from git.
#include "controller/web/webhooks.hh"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "controller/crypto/hash.hh"
#include "controller/db/database.hh"
#include "controller/db/projects.hh"
#include "controller/log.hh"
#include "controller/web/routes.hh"
#include "reconcilers/spec_reader.hh"
#include "specs/parse.hh"

namespace hydrant::web {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view beforeAny(std::string_view s, std::string_view chars) {
  return s.substr(0, s.find_first_of(chars));
}

// "/a//b/./c/../d.git/" → "/a/b/d"; a last segment ".git" (a work tree's git directory) goes
// too, since it is the same repository.
std::string cleanPath(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  if (!segments.empty() && segments.back() == ".git") segments.pop_back();
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view segment = segments[i];
    if (i + 1 == segments.size() && segment.size() > 4 &&
        segment.substr(segment.size() - 4) == ".git") {
      segment.remove_suffix(4);
    }
    out += '/';
    out += segment;
  }
  return out;
}

// "git@Host:22" → "host"; "[::1]:8443" stays; a port that is the scheme's default goes.
std::string cleanAuthority(std::string_view authority, std::string_view scheme) {
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string host = lower(authority);
  const size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    const std::string port = host.substr(colon + 1);
    const bool standard = port.empty() || (scheme == "https" && port == "443") ||
                          (scheme == "http" && port == "80") || (scheme == "ssh" && port == "22") ||
                          (scheme == "git" && port == "9418");
    if (standard) host.resize(colon);
  }
  return host;
}

std::string joinKey(const std::string& host, std::string_view path) {
  std::string p = cleanPath(path);
  if (p.empty()) return "";
  // GitHub treats owner and repository names case-insensitively.
  if (host == "github.com") p = lower(p);
  return host + p;
}

}  // namespace

std::string repoKey(std::string_view url) {
  std::string_view s = trim(url);
  if (s.empty()) return "";
  if (startsWith(s, "git+") && s.find("://") != std::string_view::npos) s.remove_prefix(4);
  if (const size_t scheme_end = s.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = lower(s.substr(0, scheme_end));
    const std::string_view rest = beforeAny(s.substr(scheme_end + 3), "?#");
    const size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (scheme == "file") {
      const std::string host = lower(authority);
      return joinKey(host == "localhost" ? "" : host, path);
    }
    const std::string host = cleanAuthority(authority, scheme);
    return host.empty() ? "" : joinKey(host, path);
  }
  const size_t colon = s.find(':');
  const size_t slash = s.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    // scp-like [user@]host:path, as git reads it.
    const std::string host = cleanAuthority(s.substr(0, colon), "ssh");
    return host.empty() ? "" : joinKey(host, s.substr(colon + 1));
  }
  // A local path. A relative one stays relative, so it only equals another relative one.
  const std::string path = cleanPath(s);
  if (path.empty()) return "";
  return s.front() == '/' ? path : path.substr(1);
}

std::string flakeRepoKey(std::string_view flake) {
  const std::string_view s = trim(flake);
  if (startsWith(s, "git+")) return repoKey(s);
  static const std::pair<std::string_view, std::string_view> kForges[] = {
      {"github:", "github.com"}, {"gitlab:", "gitlab.com"}, {"sourcehut:", "git.sr.ht"}};
  for (const auto& [prefix, default_host] : kForges) {
    if (!startsWith(s, prefix)) continue;
    std::string_view rest = s.substr(prefix.size());
    std::string host(default_host);
    if (const size_t q = rest.find('?'); q != std::string_view::npos) {
      std::string_view query = beforeAny(rest.substr(q + 1), "#");
      while (!query.empty()) {
        const std::string_view param = query.substr(0, query.find('&'));
        if (startsWith(param, "host=")) host = std::string(param.substr(5));
        query.remove_prefix(std::min(query.size(), param.size() + 1));
      }
    }
    rest = beforeAny(rest, "?#");
    // OWNER/REPO, then maybe a ref or revision that does not change the repository.
    const size_t first = rest.find('/');
    if (first == std::string_view::npos) return "";
    const size_t second = rest.find('/', first + 1);
    return repoKey("https://" + host + "/" + std::string(rest.substr(0, second)));
  }
  return "";
}

Result<std::vector<std::string>> pushedRepoUrls(std::string_view body,
                                                const std::vector<std::string>& fields) {
  const nlohmann::json event = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) {
    return Error::invalid(
        "the body is not JSON (set the webhook's content type to application/json)");
  }
  if (!event.is_object()) return Error::invalid("the body is not a JSON object");
  const auto repository = event.find("repository");
  if (repository == event.end() || !repository->is_object()) {
    return Error::invalid("the event has no \"repository\" object");
  }
  std::vector<std::string> urls;
  std::string names;
  for (const auto& field : fields) {
    names += (names.empty() ? "" : ", ") + field;
    const auto it = repository->find(field);
    if (it != repository->end() && it->is_string() && !it->get<std::string>().empty()) {
      urls.push_back(it->get<std::string>());
    }
  }
  if (urls.empty()) return Error::invalid("the repository names no URL (" + names + ")");
  return urls;
}

bool signedByAny(std::string_view body, std::string_view signature_hex,
                 const std::vector<std::string>& secrets) {
  bool any = false;
  for (const auto& secret : secrets) {
    any = crypto::hexEqualConstantTime(crypto::hmacSha256Hex(secret, body), signature_hex) || any;
  }
  return any;
}

std::vector<std::string> repoNeedles(const std::set<std::string>& keys) {
  std::set<std::string> needles;
  for (const auto& key : keys) {
    const std::string needle = lower(key.substr(key.rfind('/') + 1));
    if (!needle.empty()) needles.insert(needle);
  }
  return {needles.begin(), needles.end()};
}

namespace {

// The URL of a git value "URL [ref]".
std::string gitUrl(const std::string& value) {
  auto v = reconcilers::parseGitValue(value);
  if (v) return v->url;
  return std::string(beforeAny(trim(value), " \t"));
}

// What a project's relative input URLs are resolved against (as JobsetInputs::baseFor).
std::string projectBase(const std::string& decltype_, const std::string& declvalue,
                        const std::string& root_url) {
  if (decltype_ == "git") return reconcilers::resolveRelativeUrl(gitUrl(declvalue), root_url);
  if (decltype_ == "path") return reconcilers::resolveRelativeUrl(declvalue, root_url);
  return "";
}

}  // namespace

PushMatch matchPush(const std::set<std::string>& keys,
                    const std::vector<db::PushJobsetRow>& jobsets,
                    const std::vector<db::DeclarativeSourceRow>& sources,
                    const std::string& root_url) {
  auto pushed = [&](const std::string& key) { return !key.empty() && keys.count(key) != 0; };
  PushMatch m;
  for (const auto& j : jobsets) {
    const std::string base = projectBase(j.decltype_, j.declvalue, root_url);
    bool hit = !j.flake.empty() && pushed(flakeRepoKey(j.flake));
    if (j.generated && j.decltype_ == "git") hit = hit || pushed(repoKey(base));
    for (const auto& value : j.git_values) {
      hit = hit || pushed(repoKey(reconcilers::resolveRelativeUrl(gitUrl(value), base)));
    }
    if (hit) m.jobsets.emplace_back(j.project, j.jobset);
  }
  for (const auto& s : sources) {
    if (pushed(repoKey(reconcilers::resolveRelativeUrl(gitUrl(s.declvalue), root_url)))) {
      m.projects.push_back(s.project);
    }
  }
  m.root = !root_url.empty() && pushed(repoKey(root_url));
  return m;
}

namespace {

// Webhook clients (GitHub, Gitea, curl in a script) read JSON whatever they send as Accept.
Response jsonError(int status, const std::string& message) {
  return jsonResponse({{"error", message}, {"status", status}}, status);
}

Response unauthorized(const std::string& via, const std::string& message) {
  log::warn("webhook=" + via, "refused: {}", message);
  Response r = jsonError(401, message);
  if (via == "push") r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

// What a request asks to be looked at now.
struct PushRequest {
  std::set<std::string> keys;                                // repoKey of each pushed URL
  std::vector<std::pair<std::string, std::string>> jobsets;  // named ones (/api/push)
  bool force = false;
};

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}

// One transaction: read the candidates, trigger, notify. The notifications go out on commit.
Response push(const Context& context, const std::string& via, const PushRequest& request) {
  if (context.db == nullptr) return jsonError(503, "no database");
  const config::ProjectsConfig* projects =
      context.config && context.config->projects ? &*context.config->projects : nullptr;
  const std::string root_url = projects ? projects->url : "";
  const std::vector<std::string> needles = repoNeedles(request.keys);
  std::vector<std::string> triggered, refetched;
  auto r = context.db->withWrite([&](db::WriteTx& tx) -> Result<void> {
    triggered.clear();
    refetched.clear();
    auto jobsets = db::pushJobsetCandidates(db::readView(tx), needles);
    if (!jobsets) return jobsets.error();
    auto sources = db::declarativeSourceCandidates(db::readView(tx), needles);
    if (!sources) return sources.error();
    PushMatch m = matchPush(request.keys, *jobsets, *sources, root_url);
    m.jobsets.insert(m.jobsets.end(), request.jobsets.begin(), request.jobsets.end());
    auto t = db::triggerJobsets(tx, m.jobsets, request.force);
    if (!t) return t.error();
    triggered = std::move(*t);
    if (m.root) {
      if (auto n = db::notify(tx, "sources_changed", "root"); !n) return n.error();
      refetched.push_back(projects->file);
    }
    for (const auto& project : m.projects) {
      if (auto n = db::notify(tx, "projects_changed", project); !n) return n.error();
      refetched.push_back(project);
    }
    return {};
  });
  if (!r) {
    log::error("webhook=" + via, "push not recorded: {}", r.error().message);
    return jsonError(503, "the push could not be recorded; try again");
  }
  std::vector<std::string> pushed(request.keys.begin(), request.keys.end());
  log::info("webhook=" + via, "push of {}: triggered {}; re-reading {}", joined(pushed),
            joined(triggered), joined(refetched));
  return jsonResponse({{"jobsetsTriggered", triggered}, {"sourcesRefetched", refetched}});
}

// A signed push event (GitHub, Gitea): the signature first, over the raw body, then the event.
struct EventHook {
  std::string via;  // "github", "gitea": names the hook in logs
  std::string signature_header;
  std::string signature_prefix;  // "sha256=" for GitHub, "" for Gitea
  std::string event_header;
  std::string secrets_key;  // the config key, for the message when none is set
  std::vector<std::string> url_fields;
};

Response handleEvent(const Context& context, const EventHook& hook,
                     const std::vector<std::string>& secrets, const Request& request) {
  if (secrets.empty()) {
    return unauthorized(hook.via,
                        hook.via + " webhooks are off: " + hook.secrets_key + " is not configured");
  }
  const auto signature = request.header(hook.signature_header);
  if (!signature) return unauthorized(hook.via, "no " + hook.signature_header + " header");
  const std::string_view sig = trim(*signature);
  if (!startsWith(sig, hook.signature_prefix) ||
      !signedByAny(request.body, sig.substr(hook.signature_prefix.size()), secrets)) {
    return unauthorized(hook.via, hook.signature_header + " does not match the body");
  }
  // Hooks also send pings and other events; only a push asks for anything.
  const std::string event = lower(trim(request.header(hook.event_header).value_or("push")));
  if (event != "push") {
    log::debug("webhook=" + hook.via, "ignored event {}", event);
    return jsonResponse({{"jobsetsTriggered", nlohmann::json::array()},
                         {"sourcesRefetched", nlohmann::json::array()},
                         {"ignored", "event \"" + event + "\" is not a push"}});
  }
  auto urls = pushedRepoUrls(request.body, hook.url_fields);
  if (!urls) return jsonError(400, urls.error().message);
  PushRequest p;
  for (const auto& url : *urls) {
    if (std::string key = repoKey(url); !key.empty()) p.keys.insert(std::move(key));
  }
  if (p.keys.empty()) return jsonError(400, "the repository's URLs name no repository");
  return push(context, hook.via, p);
}

// Splits every value of query parameter `name` at commas; empty pieces are dropped.
std::vector<std::string> listParam(const Request& request, const std::string& name) {
  std::vector<std::string> out;
  auto [begin, end] = request.query.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view piece = trim(rest.substr(0, comma));
      if (!piece.empty()) out.emplace_back(piece);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return out;
}

// Every token is compared (in constant time each), so the time says nothing of which matched.
bool bearerMatches(const Request& request, const std::vector<std::string>& tokens) {
  const std::string value = request.header("authorization").value_or("");
  const std::string_view header = trim(value);
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() || lower(header.substr(0, kScheme.size())) != kScheme) {
    return false;
  }
  const std::string_view token = trim(header.substr(kScheme.size()));
  bool any = false;
  for (const auto& t : tokens) any = crypto::secretEqualConstantTime(t, token) || any;
  return any;
}

// Hydra's /api/push: named jobsets and repositories (an input's value, "URL [ref]", or a URL).
Response handlePush(const Context& context, const std::vector<std::string>& tokens,
                    const Request& request) {
  if (tokens.empty()) return unauthorized("push", "push is off: push_tokens is not configured");
  if (!bearerMatches(request, tokens)) {
    return unauthorized("push", "expected Authorization: Bearer with a configured push token");
  }
  PushRequest p;
  p.force = request.param("force").has_value();
  for (const auto& name : listParam(request, "jobsets")) {
    const size_t colon = name.find(':');
    const std::string project = name.substr(0, colon);
    const std::string jobset = colon == std::string::npos ? "" : name.substr(colon + 1);
    if (!specs::validProjectName(project) || !specs::validJobsetName(jobset)) {
      return jsonError(400, "jobsets: \"" + name + "\" is not PROJECT:JOBSET");
    }
    p.jobsets.emplace_back(project, jobset);
  }
  const std::vector<std::string> repos = listParam(request, "repos");
  for (size_t i = 0; i < repos.size(); ++i) {
    std::string key = repoKey(gitUrl(repos[i]));
    // The value is not quoted back: a URL may carry credentials.
    if (key.empty()) {
      return jsonError(400, "repos: item " + std::to_string(i + 1) + " is not a repository URL");
    }
    p.keys.insert(std::move(key));
  }
  if (p.jobsets.empty() && p.keys.empty()) {
    return jsonError(400, "expected jobsets=PROJECT:JOBSET,… and/or repos=URL,…");
  }
  return push(context, "push", p);
}

}  // namespace

std::vector<Route> webhookRoutes(const Context& context) {
  const config::Config empty;
  const config::Config& config = context.config ? *context.config : empty;
  const EventHook github{.via = "github",
                         .signature_header = "X-Hub-Signature-256",
                         .signature_prefix = "sha256=",
                         .event_header = "X-GitHub-Event",
                         .secrets_key = "github_webhook_secrets",
                         .url_fields = {"clone_url", "ssh_url", "git_url", "html_url"}};
  const EventHook gitea{.via = "gitea",
                        .signature_header = "X-Gitea-Signature",
                        .signature_prefix = "",
                        .event_header = "X-Gitea-Event",
                        .secrets_key = "gitea_webhook_secrets",
                        .url_fields = {"clone_url", "ssh_url", "html_url"}};
  // The secrets are copied into the handlers: the configuration is read once, at start.
  return {
      {"POST", "/api/push-github",
       [&context, github, secrets = config.github_webhook_secrets.all()](const Request& r) {
         return handleEvent(context, github, secrets, r);
       }},
      {"POST", "/api/push-gitea",
       [&context, gitea, secrets = config.gitea_webhook_secrets.all()](const Request& r) {
         return handleEvent(context, gitea, secrets, r);
       }},
      {"POST", "/api/push",
       [&context, tokens = config.push_tokens.all()](const Request& r) {
         return handlePush(context, tokens, r);
       }},
  };
}

}  // namespace hydrant::web
