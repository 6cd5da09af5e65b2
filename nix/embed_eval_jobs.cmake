# Turns nix/eval-jobs.nix into a C++ definition of hydrant::nix::evalJobsNix(), so `hydrant`
# needs no files beside it. Invoked by the build as:
#   cmake -DOUT=file.cc -DIN=nix/eval-jobs.nix -P embed_eval_jobs.cmake
file(READ ${IN} text)
string(FIND "${text}" ")hydrant_nix\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE ${OUT}.tmp "// Generated from nix/eval-jobs.nix by nix/embed_eval_jobs.cmake. Do not edit.\n"
  "#include \"controller/nix/nix.hh\"\n\n"
  "namespace hydrant::nix {\n\n"
  "const std::string& evalJobsNix() {\n"
  "  static const std::string kText = R\"hydrant_nix(${text})hydrant_nix\";\n"
  "  return kText;\n}\n\n}  // namespace hydrant::nix\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
