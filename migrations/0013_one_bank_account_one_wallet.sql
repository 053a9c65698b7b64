-- One bank account links itself to one wallet only (THREATS M6): a second wallet whose typed
-- name happens to match the holder's is not the holder. So at most one live link of an account
-- may be made automatically (name_check 'exact'); any further link of the same account, by any
-- other wallet, waits for an operator (name_check 'shared', status 'review').
--
-- Links made before this rule: the oldest automatic link of each account stays, the others go
-- back to review.
UPDATE funding_bank_accounts SET status = 'review', name_check = 'shared'
WHERE status = 'linked' AND name_check = 'exact'
  AND EXISTS (
      SELECT 1 FROM funding_bank_accounts o
      WHERE o.bank_code = funding_bank_accounts.bank_code
        AND o.branch_code = funding_bank_accounts.branch_code
        AND o.account_type = funding_bank_accounts.account_type
        AND o.account_number = funding_bank_accounts.account_number
        AND o.status = 'linked' AND o.name_check = 'exact'
        AND (o.created_at_ms < funding_bank_accounts.created_at_ms
             OR (o.created_at_ms = funding_bank_accounts.created_at_ms AND o.id < funding_bank_accounts.id))
  );

CREATE UNIQUE INDEX funding_bank_accounts_one_automatic
    ON funding_bank_accounts (bank_code, branch_code, account_type, account_number)
    WHERE status = 'linked' AND name_check = 'exact';
