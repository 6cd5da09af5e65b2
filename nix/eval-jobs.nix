# Hydrant's evaluator: the Nix side of controller/nix (nix.cc runs it with nix-instantiate
# --eval --strict --json --read-write-mode, so every job's .drv file is written). It lists the
# jobs of one jobset with what Hydra keeps of each: derivation, outputs, meta, constituents.
#
# Arguments (all optional, given with --arg / --argstr):
#   hydrantExpr   path of a legacy jobset's expression (a string);
#   hydrantFlake  else, the locked URL of a flake jobset;
#   hydrantArgs   the arguments of a legacy jobset's function (an attribute set);
#   hydrantSelect JSON {"path": [names…]}: the subtree at that attribute path is evaluated
#                 (the default, [], is the root); with "from": i, "to": j as well, the subtrees
#                 of the path's names i to j-1 (in attrNames order) are;
#   hydrantCatch  true: a job that throws is reported as {attr, path, failed = true} and the
#                 others are kept; false: its error ends the evaluation, so Nix prints it;
#   hydrantMode   "jobs" (the default): a list of job records
#                   {attr, nixname, system, drvPath, outputs = {name = path;},
#                    meta = {the fields of metaFields the job has, converted},
#                    constituentNames, constituentDrvs (both only for aggregates)};
#                 "children": the names below the selected path that the walk would visit,
#                 or null when it is not an attribute set that is walked.
{ hydrantExpr ? null
, hydrantFlake ? null
, hydrantArgs ? { }
, hydrantSelect ? "{\"path\":[]}"
, hydrantCatch ? true
, hydrantMode ? "jobs"
}:

let
  inherit (builtins)
    attrNames concatMap concatStringsSep deepSeq filter foldl' head isAttrs isBool isFunction
    isInt isList isString length listToAttrs split tryEval;

  # Like Nix's own automatic call of a file's function: a function with `...` gets every
  # argument, one without gets those it names. Only builtins.toXML shows the `...`.
  hasEllipsis = f: length (split "ellipsis=\"1\"" (builtins.toXML f)) > 1;
  autoCall = f:
    if !isFunction f then f
    else if hasEllipsis f then f hydrantArgs
    else f (builtins.intersectAttrs (builtins.functionArgs f) hydrantArgs);

  flakeJobs =
    let flake = builtins.getFlake hydrantFlake; in
    if flake ? hydraJobs then flake.hydraJobs
    else if flake ? checks then flake.checks
    else throw "flake '${hydrantFlake}' does not provide any Hydra jobs or checks";

  # Flakes are walked through every attribute set (Hydra's force-recurse); legacy expressions
  # only through those that ask for it.
  forceRecurse = hydrantFlake != null;
  root =
    let value = if forceRecurse then flakeJobs else autoCall (import hydrantExpr); in
    if isDerivation value then
      throw "the jobset's expression evaluates to a derivation, not to an attribute set of jobs"
    else if isAttrs value then value
    else throw "the jobset's expression does not evaluate to an attribute set of jobs";

  nameOf = path: concatStringsSep "." path;
  isDerivation = v: isAttrs v && (v.type or null) == "derivation";
  isWalked = path: v:
    isAttrs v && !isDerivation v
    && (path == [ ] || forceRecurse || (v.recurseForDerivations or false) == true);

  # Hydra's meta strings: strings are kept, lists flattened, attribute sets give their first
  # field among `fields` that is a string.
  metaStrings = fields: v:
    if isString v then [ v ]
    else if isList v then concatMap (metaStrings fields) v
    else if isAttrs v then
      let present = filter (f: isString (v.${f} or null)) fields; in
      if present == [ ] then [ ] else [ v.${head present} ]
    else [ ];
  joined = fields: v: concatStringsSep ", " (metaStrings fields v);
  intOrNull = v: if isInt v then v else null;
  isTrue = v: isBool v && v;
  # What is kept of each meta field; only the fields a job has are converted and printed.
  metaFields = {
    description = joined [ ];
    license = joined [ "shortName" ];
    homepage = joined [ ];
    maintainers = joined [ "email" "name" ];
    schedulingPriority = intOrNull;
    timeout = intOrNull;
    maxSilent = intOrNull;
    isHydraChannel = isTrue;
    isChannel = isTrue;
  };

  # The record of one job. Never give it a key named outPath: toJSON would print only that.
  jobRecord = path: drv:
    let
      meta = drv.meta or { };
      constituents = drv.constituents or [ ];
    in
    {
      attr = nameOf path;
      nixname = drv.name;
      inherit (drv) system drvPath;
      outputs = listToAttrs
        (map (o: { name = o; value = drv.${o}.outPath; }) (drv.outputs or [ "out" ]));
    }
    // (if !isAttrs meta then { } else {
      meta = builtins.mapAttrs (f: keep: keep meta.${f}) (builtins.intersectAttrs meta metaFields);
    })
    // (if (drv._hydraAggregate or false) != true then { } else {
      constituentNames = filter isString constituents;
      constituentDrvs = map (c: c.drvPath) (filter isAttrs constituents);
    });

  # Forces `x` completely; with hydrantCatch, a thrown error is returned as {success = false}.
  attempt = x:
    if hydrantCatch then tryEval (deepSeq x x)
    else { success = true; value = deepSeq x x; };
  failed = path: [{ attr = nameOf path; inherit path; failed = true; }];

  # The records of the jobs at and below `path`. One tryEval per visited value: `here` is a
  # job's record (in a list), null for a set to walk into, or an empty list.
  visit = path: value:
    let
      here = attempt (
        if isDerivation value then [ (jobRecord path value) ]
        else if isWalked path value then null
        else [ ]);
    in
    if !here.success then failed path
    else if here.value == null then
      concatMap (n: visit (path ++ [ n ]) value.${n}) (attrNames value)
    else here.value;

  valueAt = path: foldl' (v: n: v.${n}) root path;
  selection = builtins.fromJSON hydrantSelect;
  base = selection.path;
  selectedPaths =
    if !(selection ? from) then [ base ]
    else
      let names = attrNames (valueAt base); in
      builtins.genList (i: base ++ [ (builtins.elemAt names (selection.from + i)) ])
        (selection.to - selection.from);
  children =
    let value = valueAt base; in
    if isWalked base value then attrNames value else null;
in
# The root is forced outside any tryEval: an expression that fails as a whole fails the run.
builtins.seq root (
  if hydrantMode == "children" then children
  else concatMap (path: visit path (valueAt path)) selectedPaths)
