-- 0003_evaluations.sql — indexes for the evaluation reconciler's hot queries.
--
-- Recording an evaluation looks up the jobset's newest evaluation with new builds (the one whose
-- builds a job may reuse) and moves iscurrent from the jobset's current builds to the new
-- evaluation's. Without these indexes the first walks back over every cached evaluation row and
-- the second scans every build the jobset ever had. `get evals` and `eval`-type inputs read the
-- same evaluations with new builds.

create index jobsetevals_with_builds on jobsetevals (jobset_id, id desc)
  where hasnewbuilds = 1;

-- Small: only the builds of each jobset's current evaluation.
create index builds_current on builds (jobset_id) where iscurrent = 1;
