# The jobs of each generated jobset: one greeting per variant.
{ src ? null, variant ? "small" }:
{
  greeting = derivation {
    name = "greeting-${variant}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo hello from the ${variant} jobset > $out" ];
  };
}
