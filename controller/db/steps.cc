#include "controller/db/steps.hh"

#include "controller/db/arrays.hh"
#include "controller/db/evals_sql.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

using evalsql::optInt;
using evalsql::optLong;
using evalsql::optText;

constexpr const char* kStepColumns =
    "build, stepnr, drvpath, machine, busy, status, starttime, stoptime, errormsg, "
    "propagatedfrom";

StepView stepFrom(const pqxx::row& r) {
  return {r[0].as<int>(), r[1].as<int>(), r[2].as<std::string>(), r[3].as<std::string>(),
          r[4].as<int>(), optInt(r[5]),   optLong(r[6]),          optLong(r[7]),
          optText(r[8]),  optInt(r[9])};
}

}  // namespace

Result<std::map<int, std::vector<StepView>>> stepsOfBuilds(ReadTx& rtx,
                                                           const std::vector<int>& builds) {
  std::map<int, std::vector<StepView>> out;
  if (builds.empty()) return out;
  ArrayParam ids;
  for (int id : builds) ids.add(id);
  auto rows = rtx.tx.exec_params(std::string("select ") + kStepColumns +
                                     " from buildsteps where build = any($1::int[]) "
                                     "order by build, stepnr",
                                 ids.literal());
  for (const auto& r : rows) {
    StepView s = stepFrom(r);
    out[s.build].push_back(std::move(s));
  }
  return out;
}

Result<std::optional<StepView>> latestStepOfDrv(ReadTx& rtx, const std::string& drvpath,
                                                int except_build) {
  auto rows = rtx.tx.exec_params(std::string("select ") + kStepColumns +
                                     " from buildsteps where drvpath = $1 and build <> $2 "
                                     "order by propagatedfrom is not null, "
                                     "  starttime desc nulls last, build desc, stepnr desc "
                                     "limit 1",
                                 drvpath, except_build);
  if (rows.empty()) return std::optional<StepView>();
  return std::optional<StepView>(stepFrom(rows[0]));
}

}  // namespace hydrant::db
