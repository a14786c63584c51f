//! Checkers for the exercises of chapter 04, "Thread safety".
//!
//! Exercise 04.1 hands the learner a [`Vault`]: accounts behind one `std::sync::Mutex` each,
//! whose [`Vault::lock`] works like `accounts[i].lock().unwrap()` but also notes, per thread,
//! which accounts are held. So the checker can say *why* a transfer is unsafe (locks taken out
//! of order, a write made without holding both accounts, the same lock taken twice) instead of
//! hanging the kernel in a deadlock: a lock that cannot be had within a second panics instead.
//!
//! Exercise 04.3 races threads on one atomic account kept near $0, every operation on it
//! letting another thread run first, and checks that no dollar is paid out twice and that the
//! balance never goes below zero.

use super::{Check, attempt, judge};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

const SOLUTIONS: &str = "support/src/solutions/ch04.rs";

/// How long [`Vault::lock`] waits before it decides the threads are deadlocked.
const PATIENCE: Duration = Duration::from_secs(1);

/// Locks `m` even if a panic poisoned it (the checker's own bookkeeping must not fail).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A write to an account, with the accounts the writing thread held at that moment.
type Write = (usize, Vec<usize>);

/// Bank accounts, each behind its own lock, that notice how they are locked.
///
/// ```
/// use support::exercises::ch04::Vault;
/// let vault = Vault::new(&[100, 50]);
/// {
///     let mut a = vault.lock(0);
///     let mut b = vault.lock(1);
///     *a -= 30;
///     *b += 30;
/// }
/// assert_eq!(vault.balances(), vec![70, 80]);
/// assert!(vault.problems().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Vault {
    accounts: Vec<Mutex<i64>>,
    /// Accounts each thread holds right now, in the order it took them.
    held: Mutex<HashMap<ThreadId, Vec<usize>>>,
    /// Per thread: every write since the log was last cleared, with the accounts held then.
    writes: Mutex<HashMap<ThreadId, Vec<Write>>>,
    /// Locks taken out of index order, described.
    problems: Mutex<Vec<String>>,
}

impl Vault {
    /// A vault holding `balances`, one account each.
    pub fn new(balances: &[i64]) -> Vault {
        Vault {
            accounts: balances.iter().map(|&b| Mutex::new(b)).collect(),
            ..Vault::default()
        }
    }

    /// How many accounts there are.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether there are no accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Locks account `account` and returns a guard that reads and writes its balance, like
    /// `accounts[account].lock().unwrap()`. The lock is released when the guard is dropped.
    ///
    /// # Panics
    ///
    /// Like indexing a slice, when `account` is out of range. Also when this thread already
    /// holds `account` (std's `Mutex` is not reentrant: that would wait forever), and when the
    /// lock cannot be had within a second, which with locks held for microseconds means two
    /// threads are waiting for each other. The checker turns these panics into its verdict.
    pub fn lock(&self, account: usize) -> VaultGuard<'_> {
        let Some(mutex) = self.accounts.get(account) else {
            panic!(
                "account {account} does not exist: the vault has {} accounts",
                self.len()
            );
        };
        let me = thread::current().id();
        let holding = lock(&self.held).get(&me).cloned().unwrap_or_default();
        if holding.contains(&account) {
            panic!(
                "this thread locked account {account} while already holding it: std's Mutex is \
                 not reentrant, so that waits forever"
            );
        }
        if let Some(&higher) = holding.iter().find(|&&h| h > account) {
            lock(&self.problems).push(format!(
                "account {account} was locked while holding account {higher}: take locks in \
                 index order, lowest first"
            ));
        }
        let deadline = Instant::now() + PATIENCE;
        let guard = loop {
            match mutex.try_lock() {
                Ok(guard) => break guard,
                Err(TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => thread::yield_now(),
                Err(TryLockError::WouldBlock) => panic!(
                    "waited {PATIENCE:?} for account {account} while holding {holding:?}: the \
                     threads are deadlocked (each holds a lock another is waiting for)"
                ),
            }
        };
        lock(&self.held).entry(me).or_default().push(account);
        VaultGuard {
            vault: self,
            account,
            guard,
        }
    }

    /// Every balance, each account locked in turn (use when no transfer is running).
    pub fn balances(&self) -> Vec<i64> {
        self.accounts.iter().map(|m| *lock(m)).collect()
    }

    /// Descriptions of the locks taken out of index order so far.
    pub fn problems(&self) -> Vec<String> {
        lock(&self.problems).clone()
    }

    fn take_writes(&self) -> Vec<Write> {
        lock(&self.writes)
            .remove(&thread::current().id())
            .unwrap_or_default()
    }
}

/// One locked account of a [`Vault`]; dereferences to its balance.
#[derive(Debug)]
pub struct VaultGuard<'a> {
    vault: &'a Vault,
    account: usize,
    guard: MutexGuard<'a, i64>,
}

impl Deref for VaultGuard<'_> {
    type Target = i64;
    fn deref(&self) -> &i64 {
        &self.guard
    }
}

impl DerefMut for VaultGuard<'_> {
    fn deref_mut(&mut self) -> &mut i64 {
        let me = thread::current().id();
        let holding = lock(&self.vault.held).get(&me).cloned().unwrap_or_default();
        lock(&self.vault.writes)
            .entry(me)
            .or_default()
            .push((self.account, holding));
        &mut self.guard
    }
}

impl Drop for VaultGuard<'_> {
    fn drop(&mut self) {
        let me = thread::current().id();
        if let Some(holding) = lock(&self.vault.held).get_mut(&me) {
            holding.retain(|&a| a != self.account);
        }
    }
}

/// The course's six accounts, $44,500 in all.
const BALANCES: [i64; 6] = [5000, 10000, 7500, 7000, 6000, 9000];

/// Calls `transfer` and checks that every write it made held both accounts.
fn checked_transfer(
    transfer: &(impl Fn(&Vault, usize, usize, i64) -> bool + Sync),
    vault: &Vault,
    from: usize,
    to: usize,
    amount: i64,
) -> Result<bool, String> {
    vault.take_writes();
    let moved = transfer(vault, from, to, amount);
    for (account, holding) in vault.take_writes() {
        if !(holding.contains(&from) && holding.contains(&to)) {
            return Err(format!(
                "transfer({from} → {to}, ${amount}) changed account {account} while holding only \
                 {holding:?}: hold both accounts' locks for the whole transfer, or another thread \
                 can see the money in neither account"
            ));
        }
    }
    Ok(moved)
}

/// Exercise 04.1: checks `transfer(vault, from, to, amount)`, which must move `amount` from
/// account `from` to account `to` if `from` has enough (returning `true`), or change nothing and
/// return `false`, holding both accounts' locks for the whole transfer and taking them in index
/// order. First a few single transfers, then four threads making 2,000 random transfers each
/// (seeded) while checking the bank's total with every lock held.
///
/// ```
/// let check = support::exercises::ch04::check_transfer(support::solutions::ch04::transfer);
/// assert!(check.passed());
/// ```
pub fn check_transfer(transfer: impl Fn(&Vault, usize, usize, i64) -> bool + Sync) -> Check {
    let result = attempt(|| {
        let vault = Vault::new(&[100, 50]);
        for (from, to, amount, moved, after) in [
            (0, 1, 30, true, [70, 80]),
            (1, 0, 500, false, [70, 80]),
            (1, 0, 80, true, [150, 0]),
            (1, 0, 1, false, [150, 0]),
        ] {
            let got = checked_transfer(&transfer, &vault, from, to, amount)?;
            let balances = vault.balances();
            if got != moved || balances != after {
                return Err(format!(
                    "transfer({from} → {to}, ${amount}) returned {got} and left {balances:?}; \
                     expected {moved} and {after:?}"
                ));
            }
        }

        let vault = Vault::new(&BALANCES);
        let total: i64 = BALANCES.iter().sum();
        let outcomes: Vec<Result<u32, String>> = thread::scope(|s| {
            let handles: Vec<_> = (0..4u64)
                .map(|seed| {
                    let (vault, transfer) = (&vault, &transfer);
                    s.spawn(move || {
                        super::quiet_thread(); // the Vault panics here on a deadlock
                        let mut rng = StdRng::seed_from_u64(seed);
                        let mut moved = 0;
                        for i in 0..2_000 {
                            let from = rng.random_range(0..BALANCES.len());
                            let to = (from + rng.random_range(1..BALANCES.len())) % BALANCES.len();
                            let amount = rng.random_range(1..=100);
                            if checked_transfer(transfer, vault, from, to, amount)? {
                                moved += 1;
                            }
                            if i % 50 == 0 {
                                let guards: Vec<_> =
                                    (0..vault.len()).map(|a| vault.lock(a)).collect();
                                let now: i64 = guards.iter().map(|g| **g).sum();
                                if now != total {
                                    return Err(format!(
                                        "with every lock held the bank held ${now}, not ${total}"
                                    ));
                                }
                            }
                        }
                        Ok(moved)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| Err(super::panic_message(panic.as_ref())))
                })
                .collect()
        });
        let mut moved = 0;
        for outcome in outcomes {
            moved += outcome?;
        }
        if let Some(problem) = vault.problems().first() {
            return Err(problem.clone());
        }
        let end: i64 = vault.balances().iter().sum();
        if end != total {
            return Err(format!(
                "after the transfers the bank holds ${end}, not ${total}"
            ));
        }
        Ok(format!(
            "4 single transfers, then 4 threads × 2,000 random transfers ({moved} moved money), \
             locks in order, total ${total} throughout"
        ))
    });
    judge(
        "04.1 Transfers with one lock per account",
        SOLUTIONS,
        result,
    )
}

/// Exercise 04.2: checks `read_balances(bank)`, which must return the balances and whether the
/// lock was poisoned, even when a thread panicked while holding it, and leave the lock usable
/// (not poisoned) afterwards.
///
/// ```
/// let check = support::exercises::ch04::check_read_balances(
///     support::solutions::ch04::read_balances);
/// assert!(check.passed());
/// ```
pub fn check_read_balances(read_balances: impl Fn(&Mutex<Vec<i64>>) -> (Vec<i64>, bool)) -> Check {
    let result = attempt(|| {
        let bank = Mutex::new(vec![5000, 10000, 7500]);
        let got = read_balances(&bank);
        if got != (vec![5000, 10000, 7500], false) {
            return Err(format!(
                "on a healthy lock it returned {got:?}, expected ([5000, 10000, 7500], false)"
            ));
        }
        // A transfer that panics halfway: the money has left account 0 but not reached 1.
        let _ = thread::scope(|s| {
            s.spawn(|| {
                super::quiet_thread();
                let mut balances = bank.lock().unwrap_or_else(|e| e.into_inner());
                balances[0] -= 100;
                panic!("the transfer failed halfway");
            })
            .join()
        });
        let got = read_balances(&bank);
        if got != (vec![4900, 10000, 7500], true) {
            return Err(format!(
                "after a panic while the lock was held it returned {got:?}, expected \
                 ([4900, 10000, 7500], true): the data is still there, inside the PoisonError"
            ));
        }
        if bank.is_poisoned() {
            return Err("the lock is still poisoned afterwards: see Mutex::clear_poison".into());
        }
        Ok("healthy and poisoned locks, poison cleared".to_string())
    });
    judge("04.2 Reading through a poisoned lock", SOLUTIONS, result)
}

/// The account of exercise 04.3: an [`AtomicI64`] whose operations each let another thread run
/// first, as a busy machine may at any moment, so that a gap between two of them shows every
/// time instead of once in a while.
///
/// ```
/// use std::sync::atomic::Ordering::SeqCst;
/// let account = support::exercises::ch04::Account::new(100);
/// assert_eq!(account.compare_exchange_weak(100, 70, SeqCst, SeqCst).map_err(|_| ()), Ok(100));
/// assert_eq!(account.load(SeqCst), 70);
/// ```
#[derive(Debug, Default)]
pub struct Account(AtomicI64);

impl Account {
    /// An account holding `balance`.
    pub fn new(balance: i64) -> Account {
        Account(AtomicI64::new(balance))
    }

    /// [`AtomicI64::load`].
    pub fn load(&self, order: Ordering) -> i64 {
        thread::yield_now();
        self.0.load(order)
    }

    /// [`AtomicI64::store`].
    pub fn store(&self, balance: i64, order: Ordering) {
        thread::yield_now();
        self.0.store(balance, order)
    }

    /// [`AtomicI64::fetch_add`].
    pub fn fetch_add(&self, amount: i64, order: Ordering) -> i64 {
        thread::yield_now();
        self.0.fetch_add(amount, order)
    }

    /// [`AtomicI64::fetch_sub`].
    pub fn fetch_sub(&self, amount: i64, order: Ordering) -> i64 {
        thread::yield_now();
        self.0.fetch_sub(amount, order)
    }

    /// [`AtomicI64::compare_exchange`].
    pub fn compare_exchange(
        &self,
        current: i64,
        new: i64,
        success: Ordering,
        failure: Ordering,
    ) -> std::result::Result<i64, i64> {
        thread::yield_now();
        self.0.compare_exchange(current, new, success, failure)
    }

    /// [`AtomicI64::compare_exchange_weak`].
    pub fn compare_exchange_weak(
        &self,
        current: i64,
        new: i64,
        success: Ordering,
        failure: Ordering,
    ) -> std::result::Result<i64, i64> {
        thread::yield_now();
        self.0.compare_exchange_weak(current, new, success, failure)
    }
}

/// Dollars exercise 04.3's checker pays in, a dollar at a time, while four threads withdraw.
const DEPOSITS: i64 = 10_000;

/// Exercise 04.3: checks `withdraw(account, amount)`, which must take `amount` from `account`
/// and return `true` if the account holds at least that much, or leave it alone and return
/// `false`, in one atomic step. First a few single withdrawals, then four threads that each
/// try to withdraw $1 to $4 five thousand times while two others pay in $10,000 a dollar at a
/// time: the withdrawals that returned `true` must add up to exactly what was paid in less what
/// is left, and the balance must never fall below $0.
///
/// ```
/// let check = support::exercises::ch04::check_withdraw(support::solutions::ch04::withdraw);
/// assert!(check.passed());
/// ```
pub fn check_withdraw(withdraw: impl Fn(&Account, i64) -> bool + Sync) -> Check {
    let result = attempt(|| {
        let account = Account::new(100);
        for (amount, paid, after) in [
            (30, true, 70),
            (80, false, 70),
            (70, true, 0),
            (1, false, 0),
        ] {
            let before = account.0.load(Ordering::SeqCst);
            let got = withdraw(&account, amount);
            let now = account.0.load(Ordering::SeqCst);
            if got != paid || now != after {
                return Err(format!(
                    "withdraw(${amount}) from ${before} returned {got} and left ${now}; expected \
                     {paid} and ${after}"
                ));
            }
        }
        // Two threads pay in $10,000, a dollar at a time, while four threads try to withdraw
        // $1 to $4 five thousand times each: the balance stays near $0, where a check made
        // apart from its debit lets two withdrawals through where one fits. A deposit that
        // finds the balance below zero notes it.
        let account = Account::new(0);
        let lowest = AtomicI64::new(0);
        let paid: Vec<std::result::Result<i64, String>> = thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..DEPOSITS / 2 {
                        thread::yield_now();
                        let before = account.0.fetch_add(1, Ordering::SeqCst);
                        lowest.fetch_min(before, Ordering::SeqCst);
                    }
                });
            }
            let handles: Vec<_> = (0..4u64)
                .map(|t| {
                    let (account, withdraw) = (&account, &withdraw);
                    s.spawn(move || {
                        super::quiet_thread(); // a panic in the learner's code is reported, not printed
                        let mut rng = StdRng::seed_from_u64(t);
                        (0..5_000)
                            .map(|_| rng.random_range(1..=4))
                            .filter(|&amount| withdraw(account, amount))
                            .sum::<i64>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|panic| super::panic_message(panic.as_ref()))
                })
                .collect()
        });
        let mut total = 0;
        for p in paid {
            total += p?;
        }
        let (end, lowest) = (account.0.into_inner(), lowest.into_inner());
        if lowest.min(end) < 0 {
            return Err(format!(
                "with four threads withdrawing at once the balance fell to ${}: two of them saw \
                 enough money and both took it (check and debit in one atomic step)",
                lowest.min(end)
            ));
        }
        if DEPOSITS - end != total {
            return Err(format!(
                "${DEPOSITS} was paid in and ${end} is left, but the withdrawals that returned \
                 true took ${total}: an update was overwritten (use compare_exchange, not load \
                 then store)"
            ));
        }
        Ok(format!(
            "4 single withdrawals, then 4 threads × 5,000 withdrawals while 2 threads pay in \
             ${DEPOSITS}: every dollar paid out once, never below $0"
        ))
    });
    judge(
        "04.3 Check and debit with compare_exchange",
        SOLUTIONS,
        result,
    )
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::*;
    use crate::solutions::ch04 as reference;

    #[test]
    fn todo_means_not_attempted() {
        assert_eq!(
            check_transfer(|_, _, _, _| todo!()).outcome,
            Outcome::NotAttempted
        );
        assert_eq!(
            check_read_balances(|_| todo!()).outcome,
            Outcome::NotAttempted
        );
    }

    #[test]
    fn reference_solutions_pass() {
        let check = check_transfer(reference::transfer);
        assert!(check.passed(), "{}", check.to_text());
        let check = check_read_balances(reference::read_balances);
        assert!(check.passed(), "{}", check.to_text());
    }

    #[test]
    fn locking_from_then_to_is_out_of_order() {
        let check = check_transfer(|vault, from, to, amount| {
            let mut a = vault.lock(from);
            let mut b = vault.lock(to);
            if *a < amount {
                return false;
            }
            *a -= amount;
            *b += amount;
            true
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("index order") || why.contains("deadlocked")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn one_lock_at_a_time_is_caught() {
        let check = check_transfer(|vault, from, to, amount| {
            {
                let mut a = vault.lock(from);
                if *a < amount {
                    return false;
                }
                *a -= amount;
            }
            *vault.lock(to) += amount;
            true
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("holding only")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn locking_twice_panics_instead_of_hanging() {
        let check = check_transfer(|vault, from, _, _| {
            let _a = vault.lock(from);
            let _again = vault.lock(from);
            false
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("not reentrant")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn overdrafts_are_caught() {
        let check = check_transfer(|vault, from, to, amount| {
            let (lo, hi) = (from.min(to), from.max(to));
            let (mut a, mut b) = (vault.lock(lo), vault.lock(hi));
            let (src, dst) = if from < to {
                (&mut *a, &mut *b)
            } else {
                (&mut *b, &mut *a)
            };
            *src -= amount;
            *dst += amount;
            true
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("expected false")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn unwrapping_a_poisoned_lock_is_reported() {
        let check = check_read_balances(|bank| (bank.lock().unwrap().clone(), false));
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("panicked")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn forgetting_to_clear_the_poison_is_reported() {
        let check = check_read_balances(|bank| match bank.lock() {
            Ok(g) => (g.clone(), false),
            Err(e) => (e.into_inner().clone(), true),
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("clear_poison")),
            "{}",
            check.to_text()
        );
    }

    #[test]
    fn withdrawals_are_checked() {
        assert_eq!(
            check_withdraw(|_, _| todo!()).outcome,
            Outcome::NotAttempted
        );
        let check = check_withdraw(reference::withdraw);
        assert!(check.passed(), "{}", check.to_text());
        // Check, then act: overdrawn.
        let check = check_withdraw(|account, amount| {
            if account.load(Ordering::SeqCst) < amount {
                return false;
            }
            account.fetch_sub(amount, Ordering::SeqCst);
            true
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("below") || why.contains("both took it")),
            "{}",
            check.to_text()
        );
        // Read, then write back: updates lost.
        let check = check_withdraw(|account, amount| {
            let balance = account.load(Ordering::SeqCst);
            if balance < amount {
                return false;
            }
            account.store(balance - amount, Ordering::SeqCst);
            true
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("overwritten") || why.contains("both took it")),
            "{}",
            check.to_text()
        );
        // Refusing everything is wrong on the single withdrawals.
        assert!(!check_withdraw(|_, _| false).passed());
    }

    #[test]
    fn the_vault_reports_out_of_range_accounts() {
        let check = check_transfer(|vault, _, _, _| {
            let _ = vault.lock(99);
            false
        });
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("does not exist")),
            "{}",
            check.to_text()
        );
    }
}
