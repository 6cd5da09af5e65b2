# The example's jobs, Hydra style: one that succeeds, one that fails, one that depends on the
# first, and one with two outputs. Builders call tools by absolute path (no PATH in a build).
let
  mkDerivation = attrs: derivation ({
    system = builtins.currentSystem;
    builder = "/bin/sh";
  } // attrs);
in rec {
  ok = mkDerivation { name = "ok"; args = [ "-c" "echo ok > $out" ]; };
  fails = mkDerivation { name = "fails"; args = [ "-c" "echo about to fail; exit 1" ]; };
  dep = mkDerivation {
    name = "dep";
    inherit ok;
    args = [ "-c" "read x < $ok; echo \"dep of $x\" > $out" ];
  };
  multi = mkDerivation {
    name = "multi";
    outputs = [ "out" "dev" ];
    args = [ "-c" "echo o > $out; echo d > $dev" ];
  };
}
