//! Solutions to the exercises of chapter 04, "Thread safety".

use crate::exercises::ch04::{Account, Vault};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

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

// ANCHOR: withdraw
/// Exercise 04.3: takes `amount` from `account` if it holds that much, in one atomic step.
/// `compare_exchange_weak` stores the new balance only if the account still holds the balance
/// the check was made on; if another thread changed it meanwhile, it hands back the balance it
/// found, and the check is made again on that. (This loop is what `fetch_update` runs; the
/// same code works on an `AtomicI64`.)
pub fn withdraw(account: &Account, amount: i64) -> bool {
    let mut balance = account.load(Ordering::SeqCst);
    loop {
        if balance < amount {
            return false;
        }
        match account.compare_exchange_weak(
            balance,
            balance - amount,
            Ordering::SeqCst,
            Ordering::SeqCst,
        ) {
            Ok(_) => return true,
            Err(now) => balance = now,
        }
    }
}
// ANCHOR_END: withdraw
