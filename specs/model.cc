#include "specs/model.hh"

#include <tuple>

namespace hydrant::specs {

std::string Location::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const char* pruneName(Prune p) {
  switch (p) {
    case Prune::kDisable:
      return "disable";
    case Prune::kDelete:
      return "delete";
  }
  return "disable";
}

namespace {

// Every stored field of a jobset; `where` is left out on purpose. A field added to JobsetSpec
// must be added here, or sameAs() would call two different jobsets the same.
auto storedFields(const JobsetSpec& j) {
  return std::tie(j.name, j.enabled, j.hidden, j.type, j.flake, j.description, j.nixexprinput,
                  j.nixexprpath, j.checkinterval, j.schedulingshares, j.enableemail,
                  j.emailoverride, j.keepnr, j.inputs);
}

auto storedFields(const ProjectSpec& p) {
  return std::tie(p.name, p.displayname, p.description, p.homepage, p.enabled, p.hidden, p.prune,
                  p.declarative);
}

}  // namespace

bool JobsetSpec::sameAs(const JobsetSpec& other) const {
  return storedFields(*this) == storedFields(other);
}

bool ProjectSpec::sameAs(const ProjectSpec& other) const {
  return storedFields(*this) == storedFields(other);
}

}  // namespace hydrant::specs
