//! Solutions to the exercises of chapter 04, "Thread safety".

use crate::exercises::ch04::Vault;
use std::sync::Mutex;

// ANCHOR: transfer
/// Exercise 04.1: moves `amount` from `from` to `to` if `from` has enough, holding both
/// accounts' locks for the whole transfer. The locks are always taken lowest index first, so
/// two transfers between the same pair of accounts, in opposite directions, cannot each hold
/// one lock while waiting for the other.
pub fn transfer(vault: &Vault, from: usize, to: usize, amount: i64) -> bool {
    let (first, second) = (from.min(to), from.max(to));
    let mut low = vault.lock(first);
    let mut high = vault.lock(second);
    let (source, target) = if from < to {
        (&mut *low, &mut *high)
    } else {
        (&mut *high, &mut *low)
    };
    if *source < amount {
        return false;
    }
    *source -= amount;
    *target += amount;
    true
} // both guards are dropped here, in reverse order: the locks are released
// ANCHOR_END: transfer

// ANCHOR: read_balances
/// Exercise 04.2: the balances, and whether a thread panicked while holding the lock. A
/// poisoned lock still holds the data: `PoisonError::into_inner` hands over the guard, and
/// `clear_poison` tells the next `lock()` that we have looked and the data is in use again.
pub fn read_balances(bank: &Mutex<Vec<i64>>) -> (Vec<i64>, bool) {
    match bank.lock() {
        Ok(balances) => (balances.clone(), false),
        Err(poisoned) => {
            let balances = poisoned.into_inner().clone();
            bank.clear_poison();
            (balances, true)
        }
    }
}
// ANCHOR_END: read_balances
