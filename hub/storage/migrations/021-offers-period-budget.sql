-- hushpoint hub: offers under the privacy contract v2 (docs/shopper-api.md). The offer budget is
-- per shopper and budget period, in the one ledger of migration 012 (budget 'offers', µε), charged
-- in the transaction that records the decision; a draw is sticky for its period, ranking version
-- and eligible set; the audit trail no longer holds what the sampler hides (the offer's rank,
-- k, the weights, the exact probability).

-- The sticky draws: the slot the threshold sampler drew for (shopper, budget period, ranking
-- version, eligible set). Asking again with the same key maps the same slot to the same offer and
-- spends nothing; a new period whose ranking version and eligible set are unchanged carries the
-- last slot over (charged to the new period, but the same sample). The slot says whether the offer was in the shopper's top k, so it is never
-- shown, exported or logged; it is personal data, erased with the shopper and pruned with the
-- period's ledger.
CREATE TABLE offer_draws (
  pk INTEGER PRIMARY KEY,
  shopper_pk INTEGER NOT NULL,
  period TEXT NOT NULL,
  period_index INTEGER NOT NULL,
  -- SHA-256 (hex) of everything the ranking reads, and of the eligible set and its policy.
  ranking_version TEXT NOT NULL,
  eligible_set TEXT NOT NULL,
  slot INTEGER NOT NULL CHECK (slot >= 1),
  offer_id TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  epsilon_micro INTEGER NOT NULL CHECK (epsilon_micro > 0),
  data_categories TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  UNIQUE (shopper_pk, period, eligible_set, ranking_version)
);
CREATE INDEX offer_draws_latest ON offer_draws (shopper_pk, period, eligible_set, pk);
CREATE INDEX offer_draws_earlier ON offer_draws (shopper_pk, eligible_set, period_index, pk);
CREATE INDEX offer_draws_period ON offer_draws (period_index);

CREATE TRIGGER offers_forget_draws AFTER DELETE ON shoppers
BEGIN
  DELETE FROM offer_draws WHERE shopper_pk = OLD.pk;
END;

-- The audit trail names the budget period and what is left of it, and how the offer was found
-- (fresh: a new draw, charged; carried: the last period's draw again, charged; sticky: the stored
-- draw; kept: the period's earlier offer, the budget being used up; holdout). v1 rows keep NULL.
ALTER TABLE offer_decisions ADD COLUMN budget_period TEXT;
ALTER TABLE offer_decisions ADD COLUMN budget_left_micro INTEGER;
ALTER TABLE offer_decisions ADD COLUMN draw TEXT CHECK (draw IN ('fresh', 'carried', 'sticky', 'kept', 'holdout'));

-- The ranking reads the shopper's feedback (redeemed and dismissed offers) at every decision.
CREATE INDEX offer_decisions_feedback ON offer_decisions (shopper_pk, offer_id, state)
  WHERE state IN ('redeemed', 'dismissed');

-- What the sampler hides leaves the table, old rows included (DROP COLUMN rewrites every row;
-- secure_delete zeroes the freed pages). The v1 day and 30-day budget columns go too.
ALTER TABLE offer_decisions DROP COLUMN rank;
ALTER TABLE offer_decisions DROP COLUMN k;
ALTER TABLE offer_decisions DROP COLUMN weight_a;
ALTER TABLE offer_decisions DROP COLUMN weight_b;
ALTER TABLE offer_decisions DROP COLUMN total_weight;
ALTER TABLE offer_decisions DROP COLUMN real_epsilon;
ALTER TABLE offer_decisions DROP COLUMN budget_day_left_micro;
ALTER TABLE offer_decisions DROP COLUMN budget_window_left_micro;
