#include "controller/db/generated.hh"

#include "controller/db/tx.hh"

namespace hydrant::db {

Result<std::optional<GeneratedSpecBuild>> generatedSpecBuild(ReadTx& rtx, int build_id) {
  auto rows = rtx.tx.exec_params(
      "select b.id, j.project, j.id, coalesce(b.iscurrent, 0) = 1, b.finished = 1, "
      "  coalesce(b.buildstatus, -1), coalesce(o.path, ''), "
      "  coalesce((select i.revision from jobsetevalinputs i join jobsetevalmembers m "
      "    on m.eval = i.eval where m.build = b.id and i.name = 'declInput' "
      "    order by i.eval desc limit 1), '') "
      "from builds b join jobsets j on j.id = b.jobset_id join projects p on p.name = j.project "
      "left join buildoutputs o on o.build = b.id and o.name = 'out' "
      "where b.id = $1 and j.name = '.jobsets' and b.job = 'jobsets' "
      "  and coalesce(p.declfile, '') <> ''",
      build_id);
  if (rows.empty()) return std::optional<GeneratedSpecBuild>();
  const auto& r = rows[0];
  return std::optional<GeneratedSpecBuild>(GeneratedSpecBuild{
      r[0].as<int>(), r[1].as<std::string>(), r[2].as<int>(), r[3].as<bool>(), r[4].as<bool>(),
      r[5].as<int>(), r[6].as<std::string>(), r[7].as<std::string>()});
}

Result<std::vector<int>> currentGeneratedSpecBuilds(ReadTx& rtx) {
  auto rows = rtx.tx.exec(
      "select max(b.id) from builds b join jobsets j on j.id = b.jobset_id "
      "join projects p on p.name = j.project "
      "where j.name = '.jobsets' and b.job = 'jobsets' and b.iscurrent = 1 and b.finished = 1 "
      "  and b.buildstatus = 0 and coalesce(p.declfile, '') <> '' group by j.id");
  std::vector<int> out;
  for (const auto& r : rows) out.push_back(r[0].as<int>());
  return out;
}

}  // namespace hydrant::db
