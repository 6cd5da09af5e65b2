// Project spec files (and what parse.hh shares with the root file, parse_root.cc).
#include "specs/parse.hh"

#include <algorithm>
#include <limits>

#include "specs/document.hh"
#include "specs/suggest.hh"

namespace hydrant::specs {
namespace {

constexpr int kMaxInt = std::numeric_limits<int>::max();

const std::vector<std::string>& inputTypes() {
  static const std::vector<std::string> types = {"git", "path",  "string", "boolean",
                                                 "nix", "build", "eval"};
  return types;
}

// An input being read, and where its value is for the rule that spans two keys.
struct InputDraft {
  InputSpec spec;
  std::optional<Position> valueWhere;  // set once `value` was read well
};

void readInputType(InputDraft& d, const Scope& scope, const Entry& entry) {
  const auto type = readString(scope, entry, true);
  if (!type) return;
  d.spec.type = *type;
  const auto& known = inputTypes();
  if (std::find(known.begin(), known.end(), *type) != known.end()) return;
  const auto hint = didYouMean(*type, known);
  scope.error(entry.valueWhere(), "unknown input type " + quote(*type) +
                                      (hint ? " (did you mean " + quote(*hint) + "?)"
                                            : "; known types: " + joined(known)));
}

const std::vector<KeyReader<InputDraft>>& inputKeys() {
  static const std::vector<KeyReader<InputDraft>> keys = {
      {"type", readInputType},
      {"value",
       [](InputDraft& d, const Scope& scope, const Entry& entry) {
         if (auto value = readText(scope, entry)) {
           d.spec.value = std::move(*value);
           d.valueWhere = entry.valueWhere();
         }
       }},
      {"emailresponsible",
       [](InputDraft& d, const Scope& scope, const Entry& entry) {
         assign(d.spec.emailresponsible, readFlag(scope, entry));
       }},
  };
  return keys;
}

// A jobset being read: the spec so far, plus what the rules that span several keys need.
struct JobsetDraft {
  JobsetSpec spec;
  bool typeRead = true;                 // false after a bad `type`: rules that need it are skipped
  std::vector<std::string> inputNames;  // as written, valid or not
  Position nixexprinputWhere;           // of its value
};

std::optional<InputSpec> readInput(const Scope& jobset, const Entry& entry) {
  const Scope scope = jobset.within("input " + quote(entry.name));
  if (!matchesName(entry.name, "'-")) {
    jobset.error(entry.key.where,
                 "input name " + quote(entry.name) + " must match [A-Za-z_][A-Za-z0-9_'-]*");
  }
  if (!entry.value.isMap()) {
    scope.error(entry.valueWhere(), "expected " + anObject(scope.format()) + ", got " +
                                        describe(entry.value, scope.format()));
    return std::nullopt;
  }
  InputDraft d;
  d.spec.name = entry.name;
  const auto seen = readKeys(scope, entry.value, inputKeys(), d);
  requireKeys(scope, entry.key.where, seen, {"type", "value"});
  if (d.spec.type == "boolean" && d.valueWhere && d.spec.value != "true" &&
      d.spec.value != "false") {
    scope.error(*d.valueWhere, "value: expected \"true\" or \"false\" for a boolean input, got " +
                                   quote(d.spec.value));
  }
  return d.spec;
}

void readInputs(JobsetDraft& d, const Scope& scope, const Entry& entry) {
  if (!entry.value.isMap()) return expected(scope, entry, anObject(scope.format()) + " of inputs");
  forEachEntry(scope, entry.value, [&](const Entry& input) {
    d.inputNames.push_back(input.name);
    if (auto spec = readInput(scope, input)) d.spec.inputs.push_back(std::move(*spec));
  });
  std::sort(d.spec.inputs.begin(), d.spec.inputs.end(),
            [](const InputSpec& a, const InputSpec& b) { return a.name < b.name; });
}

void readEnabled(JobsetDraft& d, const Scope& scope, const Entry& entry) {
  if (const auto b = boolLiteral(entry.value, scope.format())) {
    d.spec.enabled = *b ? Enabled::kEnabled : Enabled::kDisabled;
    return;
  }
  const auto n = integerLiteral(entry.value);
  if (!n || *n < 0 || *n > 3) {
    return expected(scope, entry,
                    "0 (disabled), 1 (enabled), 2 (one-shot), 3 (one-at-a-time), true or false");
  }
  d.spec.enabled = static_cast<Enabled>(*n);  // model.hh numbers Enabled as Hydra does
}

void readType(JobsetDraft& d, const Scope& scope, const Entry& entry) {
  const auto n = integerLiteral(entry.value);
  if (!n || (*n != 0 && *n != 1)) {
    d.typeRead = false;
    return expected(scope, entry, "0 (legacy) or 1 (flake)");
  }
  d.spec.type = static_cast<int>(*n);
}

void readNixexprpath(JobsetDraft& d, const Scope& scope, const Entry& entry) {
  const auto path = readString(scope, entry);
  if (!path) return;
  if (const auto problem = pathProblem(*path)) {
    return scope.error(entry.valueWhere(), "nixexprpath " + quote(*path) + " " + *problem);
  }
  d.spec.nixexprpath = *path;
}

void readDynamicRunCommand(JobsetDraft&, const Scope& scope, const Entry& entry) {
  // Hydra's docs put `false` in their example spec, so `false` is accepted and means nothing.
  if (readFlag(scope, entry).value_or(false)) {
    scope.error(entry.valueWhere(), "enable_dynamic_run_command is not supported by Hydrant");
  }
}

using JobsetReader = KeyReader<JobsetDraft>;

// The keys of a jobset spec, in the order of Hydra's documentation.
const std::vector<JobsetReader>& jobsetKeys() {
  using D = JobsetDraft;
  using S = const Scope&;
  using E = const Entry&;
  static const std::vector<JobsetReader> keys = {
      {"enabled", readEnabled},
      {"hidden", [](D& d, S s, E e) { assign(d.spec.hidden, readFlag(s, e)); }},
      {"type", readType},
      {"flake", [](D& d, S s, E e) { assign(d.spec.flake, readString(s, e, true)); }},
      {"description", [](D& d, S s, E e) { assign(d.spec.description, readString(s, e)); }},
      {"nixexprinput",
       [](D& d, S s, E e) {
         assign(d.spec.nixexprinput, readString(s, e, true));
         d.nixexprinputWhere = e.valueWhere();
       }},
      {"nixexprpath", readNixexprpath},
      {"checkinterval",
       [](D& d, S s, E e) { assign(d.spec.checkinterval, readInt(s, e, 0, kMaxInt)); }},
      {"schedulingshares",
       [](D& d, S s, E e) { assign(d.spec.schedulingshares, readInt(s, e, 1, kMaxInt)); }},
      {"enableemail", [](D& d, S s, E e) { assign(d.spec.enableemail, readFlag(s, e)); }},
      {"enable_dynamic_run_command", readDynamicRunCommand},
      {"emailoverride", [](D& d, S s, E e) { assign(d.spec.emailoverride, readString(s, e)); }},
      {"keepnr", [](D& d, S s, E e) { assign(d.spec.keepnr, readInt(s, e, 0, kMaxInt)); }},
      {"inputs", readInputs},
  };
  return keys;
}

// The rules between keys: which keys each type needs and forbids, and that nixexprinput names an
// input. `where` is the jobset's key, where a missing key is reported.
void checkJobset(const JobsetDraft& d, const Scope& scope, Position where, const SeenKeys& seen) {
  if (!d.typeRead) return;
  const bool legacy = d.spec.type == 0;
  const std::vector<std::string> forbidden =
      legacy ? std::vector<std::string>{"flake"}
             : std::vector<std::string>{"nixexprinput", "nixexprpath"};
  for (const auto& key : forbidden) {
    if (auto at = seen.find(key); at != seen.end()) {
      scope.error(at->second, key + (legacy ? " is only for flake jobsets (\"type\": 1)"
                                            : " is only for legacy jobsets (\"type\": 0)"));
    }
  }
  const std::vector<std::string> required =
      legacy ? std::vector<std::string>{"nixexprinput", "nixexprpath"}
             : std::vector<std::string>{"flake"};
  for (const auto& key : required) {
    if (seen.contains(key)) continue;
    scope.error(where, "missing key " + quote(key) +
                           (legacy ? " (required unless \"type\" is 1)"
                                   : " (required when \"type\" is 1)"));
  }
  if (!legacy || !d.spec.nixexprinput) return;
  const auto& names = d.inputNames;
  if (std::find(names.begin(), names.end(), *d.spec.nixexprinput) != names.end()) return;
  scope.error(d.nixexprinputWhere,
              "nixexprinput " + quote(*d.spec.nixexprinput) + " names no input (" +
                  (names.empty() ? "there are no inputs" : "inputs: " + joined(names)) + ")");
}

// `spec` must be a mapping. `note` explains, after an unknown key holding an object, why the
// file was not read as a set of jobsets.
JobsetSpec readJobset(const Scope& scope, const Value& spec, const std::string& name,
                      Position where, const std::string& note) {
  JobsetDraft d;
  d.spec.name = name;
  d.spec.where = scope.sink().at(where);
  const auto seen = readKeys(scope, spec, jobsetKeys(), d, note);
  checkJobset(d, scope, where, seen);
  return d.spec;
}

std::vector<JobsetSpec> readStatic(Sink& sink, const Value& root) {
  const Scope top(sink);
  std::vector<JobsetSpec> jobsets;
  forEachEntry(top, root, [&](const Entry& entry) {
    if (!validJobsetName(entry.name)) {
      top.error(entry.key.where,
                "jobset name " + quote(entry.name) + " must match [A-Za-z_][A-Za-z0-9_.-]*");
    } else if (entry.name == kGeneratorJobset) {
      top.error(entry.key.where,
                "jobset name \".jobsets\" is reserved for a file that is one jobset spec "
                "(generated mode)");
    }
    const Scope scope = top.within("jobset " + quote(entry.name));
    jobsets.push_back(readJobset(scope, entry.value, entry.name, entry.key.where, ""));
  });
  std::sort(jobsets.begin(), jobsets.end(),
            [](const JobsetSpec& a, const JobsetSpec& b) { return a.name < b.name; });
  return jobsets;
}

// Why the file is one jobset spec: the first top-level value that is not an object.
std::string generatedNote(const Value& root, Format format) {
  for (const Member& member : root.members) {
    if (!member.value.isMap() && member.key.isScalar()) {
      return "(the file is read as the spec of \".jobsets\" because the value of " +
             quote(member.key.text) + " is not " + anObject(format) + ")";
    }
  }
  return "";
}

JobsetSpec readGenerated(Sink& sink, const Value& root) {
  const Scope scope = Scope(sink).within("jobset " + quote(kGeneratorJobset));
  return readJobset(scope, root, kGeneratorJobset, root.where, generatedNote(root, sink.format()));
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Format formatOf(const std::string& filename) {
  return endsWith(filename, ".yaml") || endsWith(filename, ".yml") ? Format::kYaml : Format::kJson;
}

std::string Diagnostic::str() const {
  const std::string place = where.str();
  return place.empty() ? message : place + ": " + message;
}

Error toError(const std::vector<Diagnostic>& diagnostics) {
  std::string message;
  for (const auto& d : diagnostics) message += (message.empty() ? "" : "\n") + d.str();
  return Error::invalid(message);
}

Result<ProjectFile> parseProjectFile(const std::string& text, const std::string& filename) {
  Sink sink(filename, formatOf(filename));
  const auto root = loadDocument(text, sink);
  if (!root) return toError(sink.sorted());
  if (!root->isMap()) {
    Scope(sink).error(root->where, "expected " + anObject(sink.format()) +
                                       " of jobsets or a jobset spec, got " +
                                       describe(*root, sink.format()));
    return toError(sink.sorted());
  }
  ProjectFile file;
  const bool isStatic = std::all_of(root->members.begin(), root->members.end(),
                                    [](const Member& member) { return member.value.isMap(); });
  if (isStatic) {
    file.mode = ProjectFile::Mode::kStatic;
    file.jobsets = readStatic(sink, *root);
  } else {
    file.mode = ProjectFile::Mode::kGenerated;
    file.jobsets.push_back(readGenerated(sink, *root));
  }
  if (!sink.empty()) return toError(sink.sorted());
  return file;
}

bool validJobsetName(const std::string& name) {
  return name == kGeneratorJobset || matchesName(name, ".-");
}

bool validProjectName(const std::string& name) { return matchesName(name, "-"); }

}  // namespace hydrant::specs
