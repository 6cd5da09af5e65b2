#include "tests/support/sql.hh"

namespace hydrant::testing {

pqxx::result sqlExec(const std::string& conninfo, const std::string& statement) {
  pqxx::connection c(conninfo);
  pqxx::work w(c);
  pqxx::result r = w.exec(statement);
  w.commit();
  return r;
}

std::string sqlValue(const std::string& conninfo, const std::string& query) {
  pqxx::result r = sqlExec(conninfo, query);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

}  // namespace hydrant::testing
