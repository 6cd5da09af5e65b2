-- 0002_spec_tracking.sql — what the declarative reconcilers need to skip work.
--
-- projects.applied_spec_hash: the fingerprint of the spec file (and the settings that shape
-- its plan) that was last applied to the project's jobsets. When a poll finds the same
-- revision, or a new revision with the same spec, the reconciler compares fingerprints and
-- writes nothing. It is bookkeeping like the status columns, so it must not wake anybody.

alter table projects add column applied_spec_hash text;

create or replace function without_status(row_json jsonb) returns jsonb
  language sql immutable strict parallel safe
  return row_json - array['observed_revision', 'ready_status', 'condition',
                          'condition_reason', 'condition_message',
                          'last_transition_at', 'last_reconciled_at',
                          'applied_spec_hash'];

-- The root source a project was last declared by ('inline' for hydrant.yaml), so `hydrant
-- get projects` can say where each project comes from.
alter table projects add column declared_by text;
