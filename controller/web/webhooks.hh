// The pure parts of the push webhooks (webhooks.cc serves them as routes): what identifies a
// repository in the many ways a URL can name it, what a push event's body names, signature
// checks, and which jobsets and spec sources a push reaches. Pure functions; thread-safe.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/db/webhooks.hh"
#include "specs/result.hh"

namespace hydrant::web {

// What identifies the repository a git URL names: "host[:port]/path", or "/path" for a local
// one. The scheme and user are dropped (https://, ssh://git@, git://, file://, scp-like
// git@host:path all agree), a default port goes (443, 80, 22, 9418), the host is lower-cased,
// "." and ".." and repeated or trailing slashes are resolved, and a trailing ".git" (or a last
// "/.git" segment) is removed. GitHub's paths are case-insensitive, so github.com's are
// lower-cased too. "" when `url` names no repository (empty, or a host without a path).
std::string repoKey(std::string_view url);

// The same for a flake reference: github:OWNER/REPO[/REF][?host=H], gitlab:…, sourcehut:…, and
// git+URL. "" for any other (registry names, path:, tarballs).
std::string flakeRepoKey(std::string_view flake);

// The repository URLs a push event's JSON body names: the string members `fields` of its
// "repository" object, in that order. Error (kInvalid) when the body is not a JSON object with a
// "repository" object naming at least one of them; the message says which.
Result<std::vector<std::string>> pushedRepoUrls(std::string_view body,
                                                const std::vector<std::string>& fields);

// Whether `signature_hex` is the HMAC-SHA256 of `body` under one of `secrets`. Every secret is
// tried, each compared in constant time.
bool signedByAny(std::string_view body, std::string_view signature_hex,
                 const std::vector<std::string>& secrets);

// What to narrow the database's rows down by: the last path segment of each key, lower-cased.
std::vector<std::string> repoNeedles(const std::set<std::string>& keys);

// What a push of the repositories `keys` (repoKey values) reaches.
struct PushMatch {
  std::vector<std::pair<std::string, std::string>> jobsets;  // (project, jobset)
  std::vector<std::string> projects;  // whose spec is read from a pushed repository
  bool root = false;                  // the root projects file is
};

// Matches the candidates' URLs, relative ones resolved as the controller resolves them (a
// project's declarative URL against `root_url`, a jobset's inputs against its project's
// declarative URL), against `keys`. A jobset is reached through a git input, its flake, or — for
// a generated-mode `.jobsets` — its project's declarative input (its declInput). `root_url`: the
// root source's URL ("" for inline projects).
PushMatch matchPush(const std::set<std::string>& keys,
                    const std::vector<db::PushJobsetRow>& jobsets,
                    const std::vector<db::DeclarativeSourceRow>& sources,
                    const std::string& root_url);

}  // namespace hydrant::web
