-- 0001_init.sql — Hydrant's initial schema (Postgres 15).
--
-- The migration runner executes this file inside one transaction and records it
-- in schema_migrations; the file therefore has no BEGIN/COMMIT of its own.
--
-- The tables follow Hydra's (NixOS/hydra, src/sql/hydra.sql) so that Hydra's
-- JSON API, status codes and vocabulary can be reproduced. Conventions:
--   * Table and column names are Hydra's, lowercased (nixexprinput, buildstatus,
--     notificationpendingsince, ...). Columns that only Hydrant has use
--     snake_case (observed_revision, last_reconciled_at, ...).
--   * Flags Hydra stores as integer 0/1 stay integers, with a CHECK.
--   * Hydra's times (timestamp, starttime, stoptime, errortime, lastcheckedtime,
--     triggertime, ...) are unix seconds. They are bigint rather than Hydra's
--     int4 so they survive 2038; the values are the same numbers.
--     Hydrant's own times are timestamptz.
--   * Hydra's JobsetInputAlts is gone: an input has exactly one value, stored on
--     the input row. Eval inputs are keyed by name for the same reason.
--
-- Object status (Hydrant). Projects, sources, jobsets, evals and builds carry
-- the same seven status columns:
--   observed_revision   git commit the object's spec was last applied from
--   ready_status        'True' | 'False' | 'Unknown'
--   condition           'Ready' | 'Reconciling' | 'Stalled'
--   condition_reason    CamelCase reason, '' when there is none
--   condition_message   human-readable detail, e.g. "spec.json:14:9: ..."
--   last_transition_at  when condition or ready_status last changed
--   last_reconciled_at  when a reconciler last finished with this object
-- They are columns on each object's own row, not one object_status table keyed
-- by (kind, key): status is one-to-one with its object, so one row read gives
-- spec and status together, a delete removes status with the object, and a
-- rename (ON UPDATE CASCADE) cannot leave a status row behind under a stale
-- text key. The allowed values live in three domains, so the lists are written
-- once.
--
-- Deleting. Deletes cascade the way Hydra's do: project -> jobsets -> inputs,
-- evals and builds -> everything hanging off a build. A jobset with a long
-- history cascades over millions of rows, which locked Hydra's database for
-- hours (NixOS/hydra#963, #1006). Hydrant therefore deletes a jobset's builds
-- and evals in small batches first and deletes the jobset row last, so the
-- final cascade is small. The cascades stay so that a delete is never blocked.

-- Status value sets ----------------------------------------------------------

create domain status_tristate as text
  check (value in ('True', 'False', 'Unknown'));

create domain status_condition as text
  check (value in ('Ready', 'Reconciling', 'Stalled'));

-- CamelCase, e.g. 'EvaluationFailed'; '' means no reason.
create domain status_reason as text
  check (value ~ '^([A-Z][A-Za-z0-9]*)?$');

-- A row as jsonb without its status columns: used to tell a spec change from a
-- status-only write, so that writing status never wakes a reconciler.
create function without_status(row_json jsonb) returns jsonb
  language sql immutable strict parallel safe
  return row_json - array['observed_revision', 'ready_status', 'condition',
                          'condition_reason', 'condition_message',
                          'last_transition_at', 'last_reconciled_at'];

-- Projects (Hydra: Projects) -------------------------------------------------
-- A project groups jobsets. A project is declarative when declfile is set:
-- decltype/declvalue then name the input holding the spec file (Hydra's
-- `.jobsets` flow).

create table projects (
  name          text primary key,
  displayname   text not null,
  description   text,
  homepage      text,
  owner         text,  -- informational only; Hydrant has no user accounts
  enabled       integer not null default 1,
  hidden        integer not null default 0,
  declfile      text,  -- spec file path inside the declarative input
  decltype      text,  -- input type of the declarative input, e.g. 'git'
  declvalue     text,  -- input value, e.g. 'https://host/repo.git main'
  enable_dynamic_run_command boolean not null default false,
  -- Hydrant: what happens to a jobset that disappears from the project's spec:
  -- 'disable' (Hydra's behaviour: enabled = 0, hidden = 1), 'delete', 'keep'.
  prune         text not null default 'disable',

  observed_revision  text,
  ready_status       status_tristate not null default 'Unknown',
  condition          status_condition not null default 'Reconciling',
  condition_reason   status_reason not null default '',
  condition_message  text not null default '',
  last_transition_at timestamptz,
  last_reconciled_at timestamptz,

  constraint projects_name_valid check (name ~ '^[A-Za-z_][A-Za-z0-9_-]*$'),
  constraint projects_enabled_valid check (enabled in (0, 1)),
  constraint projects_hidden_valid check (hidden in (0, 1)),
  constraint projects_prune_valid check (prune in ('disable', 'delete', 'keep')),
  constraint projects_status_consistent check (
    (condition <> 'Ready' or ready_status = 'True') and
    (condition <> 'Stalled' or ready_status = 'False'))
);

-- Sources (Hydrant only) -----------------------------------------------------
-- A git repository Hydrant fetches specs from: `file` at `ref` of `url`.

create table sources (
  id                serial primary key,
  url               text not null,
  ref               text not null,  -- branch, tag or commit to follow
  file              text not null,  -- path of the root projects file in the repo
  last_fetched_at   timestamptz,
  resolved_revision text,  -- commit that `ref` resolved to at the last fetch
  fetch_error       text,  -- error of the last fetch; null when it succeeded

  observed_revision  text,
  ready_status       status_tristate not null default 'Unknown',
  condition          status_condition not null default 'Reconciling',
  condition_reason   status_reason not null default '',
  condition_message  text not null default '',
  last_transition_at timestamptz,
  last_reconciled_at timestamptz,

  constraint sources_unique unique (url, ref, file),
  constraint sources_url_nonempty check (url <> ''),
  constraint sources_ref_nonempty check (ref <> ''),
  constraint sources_file_nonempty check (file <> ''),
  constraint sources_status_consistent check (
    (condition <> 'Ready' or ready_status = 'True') and
    (condition <> 'Stalled' or ready_status = 'False'))
);

-- Jobsets (Hydra: Jobsets) ---------------------------------------------------
-- What to evaluate and how often. Identified by (project, name); `id` is the
-- stable key that evals and builds refer to, so renames do not touch them.
--
-- enabled: 0 disabled, 1 enabled (evaluated every checkinterval),
--          2 one-shot (set to 0 after the next successful, non-cached eval),
--          3 one-at-a-time (a periodic eval starts only when the previous
--            eval has no unfinished builds).
-- type:    0 legacy (nixexprinput + nixexprpath), 1 flake (flake).
-- checkinterval: seconds between polls; 0 disables polling (triggers still
--          work). triggertime: set to request an evaluation now.

create table jobsets (
  id              serial not null unique,
  project         text not null
                  references projects (name) on delete cascade on update cascade,
  name            text not null,
  description     text,
  type            integer not null default 0,
  nixexprinput    text,  -- legacy: name of the input holding the expression
  nixexprpath     text,  -- legacy: path of the expression inside that input
  flake           text,  -- flake: flake URI
  errormsg        text,  -- last evaluation error
  errortime       bigint,
  lastcheckedtime bigint,
  triggertime     bigint,
  starttime       bigint,  -- non-null while an evaluation runs
  fetcherrormsg   text,    -- input fetch error of the last attempt
  forceeval       boolean, -- bypass eval caching once
  enabled         integer not null default 1,
  enableemail     integer not null default 1,
  hidden          integer not null default 0,
  emailoverride   text not null default '',  -- Hydra: NOT NULL without default
  keepnr          integer not null default 3,
  checkinterval   integer not null default 300,
  schedulingshares integer not null default 100,
  enable_dynamic_run_command boolean not null default false,

  observed_revision  text,
  ready_status       status_tristate not null default 'Unknown',
  condition          status_condition not null default 'Reconciling',
  condition_reason   status_reason not null default '',
  condition_message  text not null default '',
  last_transition_at timestamptz,
  last_reconciled_at timestamptz,

  primary key (project, name),
  -- `.jobsets` is the declarative generator jobset Hydra creates itself.
  constraint jobsets_name_valid
    check (name ~ '^[A-Za-z_][A-Za-z0-9_.-]*$' or name = '.jobsets'),
  constraint jobsets_type_valid check (type in (0, 1)),
  constraint jobsets_legacy_fields check (
    type <> 0 or (nixexprinput is not null and nixexprpath is not null and flake is null)),
  constraint jobsets_flake_fields check (
    type <> 1 or (nixexprinput is null and nixexprpath is null and flake is not null)),
  constraint jobsets_enabled_valid check (enabled in (0, 1, 2, 3)),
  constraint jobsets_enableemail_valid check (enableemail in (0, 1)),
  constraint jobsets_hidden_valid check (hidden in (0, 1)),
  constraint jobsets_keepnr_valid check (keepnr >= 0),
  constraint jobsets_checkinterval_valid check (checkinterval >= 0),
  constraint jobsets_schedulingshares_positive check (schedulingshares > 0),
  constraint jobsets_status_consistent check (
    (condition <> 'Ready' or ready_status = 'True') and
    (condition <> 'Stalled' or ready_status = 'False'))
);

-- Jobset inputs (Hydra: JobsetInputs + JobsetInputAlts altnr 0) --------------
-- The arguments an evaluation receives. `value` syntax depends on `type`, e.g.
-- git 'URL [branch-or-rev]', boolean 'true'/'false', build 'project:jobset:job'.

create table jobsetinputs (
  project          text not null,
  jobset           text not null,
  name             text not null,
  type             text not null,
  value            text not null,
  emailresponsible integer not null default 0,

  primary key (project, jobset, name),
  foreign key (project, jobset) references jobsets (project, name)
    on delete cascade on update cascade,
  -- The name becomes a Nix argument and a search path entry: a Nix identifier.
  constraint jobsetinputs_name_valid check (name ~ '^[A-Za-z_][A-Za-z0-9_''-]*$'),
  constraint jobsetinputs_type_valid
    check (type in ('git', 'path', 'string', 'boolean', 'nix', 'build', 'eval')),
  constraint jobsetinputs_boolean_value
    check (type <> 'boolean' or value in ('true', 'false')),
  constraint jobsetinputs_emailresponsible_valid check (emailresponsible in (0, 1))
);

-- Jobset renames (Hydra: JobsetRenames) --------------------------------------
-- Old jobset names that redirect (HTTP 301) to the jobset's current name.

create table jobsetrenames (
  project text not null
          references projects (name) on delete cascade on update cascade,
  from_   text not null,
  to_     text not null,

  primary key (project, from_),
  foreign key (project, to_) references jobsets (project, name)
    on delete cascade on update cascade
);

create index jobsetrenames_target on jobsetrenames (project, to_);

-- Evaluation errors (Hydra: EvaluationErrors) --------------------------------
-- The error text of one evaluation (per-job errors concatenated), kept apart
-- from jobsetevals because it can be large. The reference runs from the eval
-- to its error, so deleting evals leaves error rows behind; Hydrant's batched
-- deleter removes rows no eval refers to any more.

create table evaluationerrors (
  id        serial primary key,
  errormsg  text,
  errortime bigint
);

-- Evaluations (Hydra: JobsetEvals) -------------------------------------------
-- One evaluation of a jobset. hasnewbuilds = 1 when it created builds or its
-- member count differs from the previous such eval; only those evals have
-- members. hash is the sha256 of the evaluator arguments (eval caching).

create table jobsetevals (
  id                 serial primary key,
  jobset_id          integer not null references jobsets (id) on delete cascade,
  evaluationerror_id integer references evaluationerrors (id) on delete set null,
  timestamp          bigint not null,
  checkouttime       integer not null,  -- seconds spent fetching inputs
  evaltime           integer not null,  -- seconds spent evaluating
  hasnewbuilds       integer not null,
  hash               text not null,
  nrbuilds           integer,
  nrsucceeded        integer,  -- filled lazily; null again after a restart
  flake              text,     -- the locked flake URL
  nixexprinput       text,
  nixexprpath        text,

  observed_revision  text,
  ready_status       status_tristate not null default 'Unknown',
  condition          status_condition not null default 'Reconciling',
  condition_reason   status_reason not null default '',
  condition_message  text not null default '',
  last_transition_at timestamptz,
  last_reconciled_at timestamptz,

  constraint jobsetevals_hasnewbuilds_valid check (hasnewbuilds in (0, 1)),
  constraint jobsetevals_status_consistent check (
    (condition <> 'Ready' or ready_status = 'True') and
    (condition <> 'Stalled' or ready_status = 'False'))
);

create index jobsetevals_jobset on jobsetevals (jobset_id, id desc);
create index jobsetevals_error on jobsetevals (evaluationerror_id)
  where evaluationerror_id is not null;

-- Builds (Hydra: Builds) -----------------------------------------------------
-- One job of a jobset to build: a top-level derivation. Steps (buildsteps) do
-- the work and are shared between builds through their drvpath.
--
-- finished: 0 queued or building, 1 done.
-- buildstatus (set when the build finishes):
--    0 success
--    1 failed: the builder exited non-zero
--    2 dependency failed
--    3 aborted: miscellaneous or infrastructure failure
--    4 cancelled by a user
--    5 obsolete
--    6 failed with output ($out/nix-support/failed exists)
--    7 timed out (timeout or maxsilent)
--    8 cached failure (written on build steps; a build that hits a cached
--      failure gets 1 or 2 with iscachedbuild = 1)
--    9 unsupported system type
--   10 log limit exceeded
--   11 output size limit exceeded
--   12 non-deterministic
-- priority: meta.schedulingPriority. globalpriority: raised ("bumped") to the
-- current unix time to put a build in front of the queue.

create table builds (
  id             serial primary key,
  finished       integer not null,
  timestamp      bigint not null,  -- when the build was added
  jobset_id      integer not null references jobsets (id) on delete cascade,
  job            text not null,
  nixname        text,
  description    text,
  drvpath        text not null,
  system         text not null,
  license        text,
  homepage       text,
  maintainers    text,
  maxsilent      integer default 3600,
  timeout        integer default 36000,
  ischannel      integer not null default 0,
  iscurrent      integer default 0,  -- member of the jobset's current eval
  priority       integer not null default 100,
  globalpriority bigint not null default 0,
  starttime      bigint,
  stoptime       bigint,
  iscachedbuild  integer,
  buildstatus    integer,
  size           bigint,
  closuresize    bigint,
  releasename    text,
  keep           integer not null default 0,  -- 1: never garbage-collect outputs
  notificationpendingsince bigint,  -- set on finish, cleared once notified

  observed_revision  text,
  ready_status       status_tristate not null default 'Unknown',
  condition          status_condition not null default 'Reconciling',
  condition_reason   status_reason not null default '',
  condition_message  text not null default '',
  last_transition_at timestamptz,
  last_reconciled_at timestamptz,

  constraint builds_finished_valid check (finished in (0, 1)),
  constraint builds_finished_has_starttime
    check (finished = 0 or (starttime is not null and starttime != 0)),
  constraint builds_finished_has_stoptime
    check (finished = 0 or (stoptime is not null and stoptime != 0)),
  constraint builds_finished_has_status check (finished = 0 or buildstatus is not null),
  constraint builds_buildstatus_valid check (buildstatus between 0 and 12),
  constraint builds_ischannel_valid check (ischannel in (0, 1)),
  constraint builds_iscurrent_valid check (iscurrent in (0, 1)),
  constraint builds_iscachedbuild_valid check (iscachedbuild in (0, 1)),
  constraint builds_keep_valid check (keep in (0, 1)),
  constraint builds_maxsilent_valid check (maxsilent >= 0),
  constraint builds_timeout_valid check (timeout >= 0),
  constraint builds_status_consistent check (
    (condition <> 'Ready' or ready_status = 'True') and
    (condition <> 'Stalled' or ready_status = 'False'))
);

-- The queue: unfinished builds in dispatch order.
create index builds_queue on builds (globalpriority desc, id) where finished = 0;
-- Latest build of a job (/job/.../latest, badges); also serves jobset deletes.
create index builds_job on builds (jobset_id, job, id desc);
create index builds_drvpath on builds (drvpath);
-- Replayed at startup so every finished build is notified at least once.
create index builds_notification_pending on builds (notificationpendingsince)
  where notificationpendingsince is not null;

-- Evaluation inputs (Hydra: JobsetEvalInputs) --------------------------------
-- The inputs an evaluation actually used, as fetched.

create table jobsetevalinputs (
  eval           integer not null references jobsetevals (id) on delete cascade,
  name           text not null,
  type           text not null,
  uri            text,
  revision       text,
  shortrevlength integer,
  value          text,
  dependency     integer references builds (id) on delete set null,  -- build inputs
  path           text,
  sha256hash     text,

  primary key (eval, name)
);

create index jobsetevalinputs_dependency on jobsetevalinputs (dependency)
  where dependency is not null;

-- Evaluation members (Hydra: JobsetEvalMembers) ------------------------------
-- The builds of an evaluation; isnew = 1 when this evaluation created it.

create table jobsetevalmembers (
  eval  integer not null references jobsetevals (id) on delete cascade,
  build integer not null references builds (id) on delete cascade,
  isnew integer not null,

  primary key (eval, build),
  constraint jobsetevalmembers_isnew_valid check (isnew in (0, 1))
);

create index jobsetevalmembers_build on jobsetevalmembers (build);

-- Aggregate constituents (Hydra: AggregateConstituents) ----------------------
-- The builds an aggregate job (_hydraAggregate) is made of.

create table aggregateconstituents (
  aggregate   integer not null references builds (id) on delete cascade,
  constituent integer not null references builds (id) on delete cascade,

  primary key (aggregate, constituent)
);

create index aggregateconstituents_constituent on aggregateconstituents (constituent);

-- Build outputs (Hydra: BuildOutputs) ----------------------------------------
-- Output name -> store path. path is null until known (content-addressed).

create table buildoutputs (
  build integer not null references builds (id) on delete cascade,
  name  text not null,
  path  text,

  primary key (build, name)
);

create index buildoutputs_path on buildoutputs using hash (path);

-- Build steps (Hydra: BuildSteps) --------------------------------------------
-- One derivation built or substituted on behalf of a build. A step shared by
-- several builds is recorded on one of them.
--
-- type:   0 build, 1 substitution.
-- busy:   0 not busy, 1 preparing, 10 connecting, 20 sending inputs,
--         30 building, 35 waiting for a local slot, 40 receiving outputs,
--         50 post-processing.
-- status: the buildstatus codes above (8 = cached failure occurs here);
--         null while busy.
-- propagatedfrom: the build whose failed step this row copies.

create table buildsteps (
  build          integer not null references builds (id) on delete cascade,
  stepnr         integer not null,
  type           integer not null,
  drvpath        text not null,
  busy           integer not null,
  status         integer,
  errormsg       text,
  starttime      bigint,
  stoptime       bigint,
  machine        text not null default '',  -- builder's store URI
  system         text,
  propagatedfrom integer references builds (id) on delete cascade,
  overhead       integer,  -- milliseconds spent copying
  timesbuilt     integer,
  isnondeterministic boolean,

  primary key (build, stepnr),
  constraint buildsteps_type_valid check (type in (0, 1)),
  constraint buildsteps_busy_valid check (busy in (0, 1, 10, 20, 30, 35, 40, 50)),
  constraint buildsteps_status_valid check (status between 0 and 12),
  constraint buildsteps_busy_has_no_status check (busy = 0 or status is null)
);

create index buildsteps_drvpath on buildsteps (drvpath);
create index buildsteps_busy on buildsteps (busy) where busy != 0;
create index buildsteps_propagatedfrom on buildsteps (propagatedfrom)
  where propagatedfrom is not null;
-- Scheduling shares charge recent step durations to jobsets.
create index buildsteps_stoptime on buildsteps (stoptime desc)
  where starttime is not null and stoptime is not null;

-- Build step outputs (Hydra: BuildStepOutputs) -------------------------------

create table buildstepoutputs (
  build  integer not null,
  stepnr integer not null,
  name   text not null,
  path   text,

  primary key (build, stepnr, name),
  foreign key (build, stepnr) references buildsteps (build, stepnr) on delete cascade
);

create index buildstepoutputs_path on buildstepoutputs using hash (path);

-- Build products (Hydra: BuildProducts) --------------------------------------
-- From $out/nix-support/hydra-build-products (or one 'nix-build' product per
-- output directory).

create table buildproducts (
  build       integer not null references builds (id) on delete cascade,
  productnr   integer not null,
  type        text not null,
  subtype     text not null,
  filesize    bigint,
  sha256hash  text,
  path        text,
  name        text not null,
  defaultpath text,

  primary key (build, productnr)
);

-- Build metrics (Hydra: BuildMetrics) ----------------------------------------
-- From $out/nix-support/hydra-metrics. project, jobset, job and timestamp are
-- copied from the build so a metric's history is one index scan.

create table buildmetrics (
  build     integer not null references builds (id) on delete cascade,
  name      text not null,
  unit      text,
  value     double precision not null,
  project   text not null,
  jobset    text not null,
  job       text not null,
  timestamp bigint not null,

  primary key (build, name),
  foreign key (project) references projects (name)
    on delete cascade on update cascade,
  foreign key (project, jobset) references jobsets (project, name)
    on delete cascade on update cascade
);

create index buildmetrics_history on buildmetrics (project, jobset, job, timestamp desc);

-- Failed paths (Hydra: FailedPaths) ------------------------------------------
-- Output paths that failed permanently: the cached-failure cache. Insert with
-- ON CONFLICT DO NOTHING; restarting a build deletes its paths from here.

create table failedpaths (
  path text primary key
);

-- Task retries (Hydra: TaskRetries) ------------------------------------------
-- Notification deliveries that failed and wait for another attempt.

create table taskretries (
  id         serial primary key,
  channel    text not null,
  pluginname text not null,
  payload    text not null,
  attempts   integer not null,
  retry_at   bigint not null,

  constraint taskretries_attempts_valid check (attempts >= 0)
);

create index taskretries_retry_at on taskretries (retry_at);

-- System status (Hydra: SystemStatus) ----------------------------------------
-- Status documents keyed by what they describe, e.g. 'queue-runner'.

create table systemstatus (
  what   text primary key,
  status jsonb not null
);

-- Events (Hydrant only) ------------------------------------------------------
-- Every change Hydrant applies, per object: what was done, from which git
-- revision, and why. object_key is e.g. 'proj' (project), 'proj:main' (jobset),
-- or an id (eval, build, source).

create table events (
  id          bigserial primary key,
  time        timestamptz not null default now(),
  object_kind text not null,
  object_key  text not null,
  action      text not null,
  revision    text,
  message     text not null default '',

  constraint events_object_kind_valid check (
    object_kind in ('project', 'jobset', 'eval', 'build', 'source', 'machine'))
);

create index events_object on events (object_kind, object_key, id desc);

-- Notifications --------------------------------------------------------------
-- Channels the reconcilers LISTEN on. Payloads are single ids (Postgres caps a
-- payload near 8000 bytes). Notifications are sent at commit, and identical
-- (channel, payload) pairs within one transaction arrive once. A payload only
-- names what to look at; the listener re-reads the database.
--
--   projects_changed       project name (both names on a rename)
--   jobsets_changed        jobset id: insert, delete, an evaluator-relevant
--                          column changed, or one of its inputs changed
--   jobset_shares_changed  jobset id: schedulingshares changed
--   builds_restarted       build id: finished 1 -> 0
--   builds_cancelled       build id: finished 0 -> 1 with buildstatus 4
--   builds_bumped          build id: globalpriority changed
--   builds_deleted         empty, once per DELETE statement on builds
--
-- builds_added (lowest new build id) is sent by the evaluator itself, inside
-- the transaction that adds the builds; no trigger sends it.
-- Writes to status columns alone notify nobody, so a reconciler recording its
-- own status does not wake itself.

-- Sends the row's id on the channel given as the trigger's first argument.
create function notify_row_id() returns trigger
  language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    perform pg_notify(tg_argv[0], old.id::text);
  else
    perform pg_notify(tg_argv[0], new.id::text);
  end if;
  return null;
end;
$$;

-- Sends an empty payload on the channel given as the trigger's first argument.
create function notify_empty() returns trigger
  language plpgsql as $$
begin
  perform pg_notify(tg_argv[0], '');
  return null;
end;
$$;

create function notify_projects_changed() returns trigger
  language plpgsql as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    perform pg_notify('projects_changed', old.name);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    perform pg_notify('projects_changed', new.name);
  end if;
  return null;
end;
$$;

-- An input change is a change of its jobset. When the jobset itself is being
-- deleted the lookup finds nothing; the jobsets trigger has notified already.
create function notify_jobset_of_input() returns trigger
  language plpgsql as $$
declare
  jobset_id integer;
begin
  if tg_op in ('UPDATE', 'DELETE') then
    select id into jobset_id from jobsets
      where project = old.project and name = old.jobset;
    if found then
      perform pg_notify('jobsets_changed', jobset_id::text);
    end if;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    select id into jobset_id from jobsets
      where project = new.project and name = new.jobset;
    if found then
      perform pg_notify('jobsets_changed', jobset_id::text);
    end if;
  end if;
  return null;
end;
$$;

create trigger projects_changed_insert_delete
  after insert or delete on projects
  for each row execute function notify_projects_changed();

create trigger projects_changed_update
  after update on projects
  for each row
  when (without_status(to_jsonb(old)) is distinct from without_status(to_jsonb(new)))
  execute function notify_projects_changed();

create trigger jobsets_changed_insert_delete
  after insert or delete on jobsets
  for each row execute function notify_row_id('jobsets_changed');

-- The columns the evaluator schedules by or evaluates with (Hydra's
-- jobset_scheduling_changed, widened to the expression's location).
create trigger jobsets_changed_update
  after update on jobsets
  for each row
  when (old.enabled is distinct from new.enabled
        or (new.triggertime is not null
            and new.triggertime is distinct from old.triggertime)
        or old.checkinterval is distinct from new.checkinterval
        or old.type is distinct from new.type
        or old.nixexprinput is distinct from new.nixexprinput
        or old.nixexprpath is distinct from new.nixexprpath
        or old.flake is distinct from new.flake)
  execute function notify_row_id('jobsets_changed');

create trigger jobset_shares_changed
  after update of schedulingshares on jobsets
  for each row
  when (old.schedulingshares is distinct from new.schedulingshares)
  execute function notify_row_id('jobset_shares_changed');

create trigger jobsetinputs_changed_insert_delete
  after insert or delete on jobsetinputs
  for each row execute function notify_jobset_of_input();

-- A project or jobset rename rewrites project/jobset through the cascade;
-- only name, type and value matter to an evaluation.
create trigger jobsetinputs_changed_update
  after update on jobsetinputs
  for each row
  when ((old.name, old.type, old.value) is distinct from (new.name, new.type, new.value))
  execute function notify_jobset_of_input();

create trigger builds_restarted
  after update of finished on builds
  for each row
  when (old.finished = 1 and new.finished = 0)
  execute function notify_row_id('builds_restarted');

create trigger builds_cancelled
  after update of finished on builds
  for each row
  when (old.finished = 0 and new.finished = 1 and new.buildstatus = 4)
  execute function notify_row_id('builds_cancelled');

create trigger builds_bumped
  after update of globalpriority on builds
  for each row
  when (old.globalpriority is distinct from new.globalpriority)
  execute function notify_row_id('builds_bumped');

create trigger builds_deleted
  after delete on builds
  for each statement execute function notify_empty('builds_deleted');
