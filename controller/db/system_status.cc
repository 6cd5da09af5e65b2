#include "controller/db/system_status.hh"

#include "controller/db/tx.hh"

namespace hydrant::db {

Result<void> setSystemStatus(WriteTx& wtx, const std::string& what, const std::string& json) {
  wtx.tx.exec_params(
      "insert into systemstatus (what, status) values ($1, $2::jsonb) "
      "on conflict (what) do update set status = excluded.status "
      "where systemstatus.status is distinct from excluded.status",
      what, json);
  return {};
}

Result<std::optional<std::string>> systemStatus(ReadTx& rtx, const std::string& what) {
  auto rows = rtx.tx.exec_params("select status::text from systemstatus where what = $1", what);
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0][0].as<std::string>());
}

}  // namespace hydrant::db
