# The generator of the `generated` project: its one job, `jobsets`, writes the project's
# jobsets as JSON (jobset name → spec) to $out. Hydrant applies that file like a static spec
# once the build succeeds. `declInput` (the project's declarative input) and `projectName` are
# passed to every generator.
{ declInput, projectName, src ? null }:
let
  jobset = variant: {
    description = "the ${variant} variant, generated for ${projectName} at ${declInput.shortRev}";
    nixexprinput = "src";
    nixexprpath = "examples/declarative/generated/release.nix";
    checkinterval = 300;
    inputs = {
      src = { type = "git"; value = ". HEAD"; };
      variant = { type = "string"; value = variant; };
    };
  };
in {
  jobsets = derivation {
    name = "jobsets";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    spec = builtins.toJSON { small = jobset "small"; large = jobset "large"; };
    passAsFile = [ "spec" ];
    args = [ "-c" "/bin/cp $specPath $out" ];
  };
}
