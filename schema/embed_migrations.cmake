# Turns schema/db/NNNN_name.sql into a C++ table of {version, name, sql}, in version order.
# Invoked by the build as: cmake -DOUT=file.cc -DDIR=schema/db -P embed_migrations.cmake
file(GLOB files RELATIVE ${DIR} ${DIR}/*.sql)
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  if(NOT f MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "schema/db/${f}: migrations are named NNNN_name.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  file(READ ${DIR}/${f} sql)
  string(FIND "${sql}" ")hydrant_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "schema/db/${f} contains the raw-string delimiter")
  endif()
  string(APPEND body "  {${version}, \"${name}\", R\"hydrant_sql(${sql})hydrant_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from schema/db by schema/embed_migrations.cmake. Do not edit.\n"
  "#include \"controller/db/migrations.hh\"\n\n"
  "namespace hydrant::db {\n\n"
  "const std::vector<Migration>& embeddedMigrations() {\n"
  "  static const std::vector<Migration> kMigrations = {\n${body}  };\n"
  "  return kMigrations;\n}\n\n}  // namespace hydrant::db\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
