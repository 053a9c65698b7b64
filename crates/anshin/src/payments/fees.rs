//! The merchant fee on a payment and the consumption tax on that fee.
//!
//! Rounding, stated once: the fee is `amount × rate` rounded **down** to the yen, and the tax is
//! 10% of the fee rounded **down** to the yen. Both round in the merchant's favour, so a fee is
//! never more than the advertised rate, and the two together are the platform's income.

/// Consumption tax on the fee: 10%.
pub const CONSUMPTION_TAX_PERCENT: i64 = 10;

/// (fee, tax on the fee) for `amount_minor` at `fee_rate_bp` basis points.
pub fn fee_and_tax(amount_minor: i64, fee_rate_bp: i64) -> (i64, i64) {
    debug_assert!(amount_minor >= 0 && (0..=10_000).contains(&fee_rate_bp));
    // i128: amount × rate never overflows, whatever the amount.
    let fee = (i128::from(amount_minor) * i128::from(fee_rate_bp) / 10_000) as i64;
    let tax = fee * CONSUMPTION_TAX_PERCENT / 100;
    (fee, tax)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_and_its_tax_round_down_on_the_edge_amounts() {
        // 2.6%: ¥1 → 0.026; ¥38 → 0.988; ¥39 → 1.014; ¥99,999,999 → 2,599,999.974.
        assert_eq!(fee_and_tax(1, 260), (0, 0));
        assert_eq!(fee_and_tax(38, 260), (0, 0));
        assert_eq!(fee_and_tax(39, 260), (1, 0));
        assert_eq!(fee_and_tax(385, 260), (10, 1));
        assert_eq!(fee_and_tax(99_999_999, 260), (2_599_999, 259_999));
        assert_eq!(fee_and_tax(1_000, 0), (0, 0));
    }

    proptest::proptest! {
        #[test]
        fn the_fee_never_exceeds_the_rate_and_is_less_than_a_yen_below_it(
            amount in 0i64..1_000_000_000_000, rate in 0i64..=1_000,
        ) {
            let (fee, tax) = fee_and_tax(amount, rate);
            let exact = i128::from(amount) * i128::from(rate);
            proptest::prop_assert!(i128::from(fee) * 10_000 <= exact && exact < (i128::from(fee) + 1) * 10_000);
            proptest::prop_assert!(tax * 10 <= fee && fee < (tax + 1) * 10);
        }
    }
}
