//! Checkers for the exercises of chapter 10, "beyond Python": a lock and an `.await` in one
//! task that must be `Send`, a `select!` loop that must lose nothing, and computing that must
//! leave the event loop free.

use super::{Check, attempt, judge};
use crate::error::Error;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SOLUTIONS: &str = "support/src/solutions/ch10.rs";

/// The auditor of exercise 10.1: every payment is reported to it, and reporting takes a
/// moment (1 ms, an `.await`), as a call to another service would. Clones share one log.
///
/// ```
/// let audit = support::exercises::ch10::Audit::default();
/// support::rt::block_on(audit.clone().record(93))?;
/// assert_eq!(audit.entries(), vec![93]);
/// # Ok::<(), support::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Audit {
    log: Arc<Mutex<Vec<i64>>>,
}

impl Audit {
    /// Reports the balance a payment left: waits 1 ms (a tokio sleep), then writes it down.
    pub async fn record(self, balance: i64) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(balance);
    }

    /// The balances reported so far, in the order they arrived.
    pub fn entries(&self) -> Vec<i64> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Exercise 10.1: checks `pay(account, amount, audit)`, which must take `amount` from the
/// balance behind `account` if the balance covers it (and leave it alone if not), then report
/// the new balance with `audit.record(balance).await`, and return whether it paid. The future it
/// returns must be `Send` (this checker spawns it on a multi-threaded runtime), so the compiler
/// rejects an attempt that holds the `MutexGuard` across the `.await`. 300 payments of 7 run at
/// once against a balance of 1,000: exactly 142 must pay, the balance must end at 6 and never go
/// below zero, and the auditor must hear of every payment.
///
/// ```
/// let check = support::exercises::ch10::check_pay(support::solutions::ch10::pay);
/// assert!(check.passed(), "{check:?}");
/// ```
pub fn check_pay<F, Fut>(pay: F) -> Check
where
    F: Fn(Arc<Mutex<i64>>, i64, Audit) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    const PAYMENTS: usize = 300;
    let result = attempt(|| {
        // One payment first, on this thread: a `todo!()` panics here, where it is caught quietly.
        let single = Arc::new(Mutex::new(10i64));
        let paid_once = crate::rt::block_on(pay(Arc::clone(&single), 7, Audit::default()))
            .map_err(|e| e.to_string())?;
        let left = *single
            .lock()
            .map_err(|_| "the account's lock was poisoned")?;
        if !paid_once || left != 3 {
            return Err(format!(
                "one payment of 7 from a balance of 10 returned {paid_once} and left {left} \
                 (expected true, and 3)"
            ));
        }
        let account = Arc::new(Mutex::new(1_000i64));
        let audit = Audit::default();
        let futures: Vec<Fut> = (0..PAYMENTS)
            .map(|_| pay(Arc::clone(&account), 7, audit.clone()))
            .collect();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .on_thread_start(super::quiet_thread)
            .enable_all()
            .build()
            .map_err(|e| format!("could not build a tokio runtime: {e}"))?;
        let outcomes = runtime.block_on(async move {
            let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
            let mut outcomes = Vec::with_capacity(tasks.len());
            for task in tasks {
                match task.await {
                    Ok(paid) => outcomes.push(paid),
                    Err(e) if e.is_panic() => {
                        return Err(format!(
                            "a payment panicked: {}",
                            super::panic_message(e.into_panic().as_ref())
                        ));
                    }
                    Err(e) => return Err(e.to_string()),
                }
            }
            Ok(outcomes)
        });
        runtime.shutdown_timeout(Duration::from_secs(5));
        let outcomes = outcomes?;
        let paid = outcomes.iter().filter(|&&paid| paid).count();
        let balance = *account
            .lock()
            .map_err(|_| "the account's lock was poisoned")?;
        let entries = audit.entries();
        if let Some(low) = entries.iter().find(|&&b| b < 0) {
            return Err(format!(
                "a payment left the balance at {low}: check the balance and take the money \
                 under one lock, or two payments can both see enough and both take it"
            ));
        }
        if paid != 142 || balance != 6 {
            return Err(format!(
                "{paid} of {PAYMENTS} payments of 7 went through against 1,000, leaving {balance}; \
                 142 should, leaving 6"
            ));
        }
        if entries.len() != paid {
            return Err(format!(
                "{paid} payments went through but the auditor heard of {} (report each one, \
                 after the lock is released)",
                entries.len()
            ));
        }
        Ok(format!(
            "{paid} of {PAYMENTS} payments went through on two worker threads, balance 6, \
             every one audited"
        ))
    });
    judge("10.1 a lock and an .await in one task", SOLUTIONS, result)
}

/// One message of chapter 10's two-part orders (section 2, and exercise 10.2): an order
/// arrives as a header, then its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// The first message of an order: its number.
    Header(u32),
    /// The second: what was ordered.
    Body(String),
}

/// A whole order, put together from its two [`Part`]s: its number and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The order's number, from its header.
    pub id: u32,
    /// What was ordered, from its body.
    pub body: String,
}

/// The orders exercise 10.2's producer sends, and the pauses (in ms) before each part.
fn orders_and_pauses() -> Vec<(Order, u64, u64)> {
    use rand::{RngExt, SeedableRng, rngs::StdRng};
    let mut rng = StdRng::seed_from_u64(102);
    (0..120u32)
        .map(|id| {
            let order = Order {
                id,
                body: format!("order {id}: {} cups", id % 7 + 1),
            };
            (order, rng.random_range(0..4u64), rng.random_range(1..4u64))
        })
        .collect()
}

/// Exercise 10.2: checks `collect_orders(parts, tick)`, which must receive [`Part`]s until the
/// channel closes and return every [`Order`] in order, together with how many times a timer of
/// period `tick` fired while it waited (a `select!` loop that serves both). 120 orders arrive
/// with pauses of 0–3 ms before each header and 1–3 ms between header and body, on a paused
/// clock (so the check is exact and takes no real time); the timer ticks every 2 ms. An order
/// lost to a cancelled multi-step receive, or a timer that never fired, is reported.
///
/// ```
/// let check = support::exercises::ch10::check_collect_orders(support::solutions::ch10::collect_orders);
/// assert!(check.passed(), "{check:?}");
/// ```
pub fn check_collect_orders<F, Fut>(collect_orders: F) -> Check
where
    F: FnOnce(tokio::sync::mpsc::Receiver<Part>, Duration) -> Fut,
    Fut: Future<Output = (Vec<Order>, usize)>,
{
    let tick = Duration::from_millis(2);
    let result = attempt(|| {
        let plan = orders_and_pauses();
        let expected: Vec<Order> = plan.iter().map(|(order, _, _)| order.clone()).collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .map_err(|e| {
                Error::System(format!("could not build a tokio runtime: {e}")).to_string()
            })?;
        let ((orders, ticks), virtual_time) = runtime.block_on(async move {
            let (tx, rx) = tokio::sync::mpsc::channel(16);
            let started = tokio::time::Instant::now();
            let producer = tokio::spawn(async move {
                for (order, before_header, before_body) in plan {
                    tokio::time::sleep(Duration::from_millis(before_header)).await;
                    if tx.send(Part::Header(order.id)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(before_body)).await;
                    if tx.send(Part::Body(order.body)).await.is_err() {
                        return;
                    }
                }
            });
            let collected = collect_orders(rx, tick).await;
            producer.abort();
            (collected, started.elapsed())
        });
        if orders != expected {
            let lost = expected.iter().filter(|o| !orders.contains(o)).count();
            let first = expected
                .iter()
                .zip(&orders)
                .position(|(a, b)| a != b)
                .unwrap_or(orders.len().min(expected.len()));
            return Err(format!(
                "got {} orders of {} ({lost} missing); the first difference is at position \
                 {first}. A receive that takes two steps loses its first part when `select!` \
                 picks the timer in between: keep the header outside the future",
                orders.len(),
                expected.len()
            ));
        }
        let possible = virtual_time.as_millis() / tick.as_millis();
        if (ticks as u128) < possible / 2 {
            return Err(format!(
                "every order arrived, but the timer fired {ticks} times in {} ms of waiting \
                 (about {possible} were due): serve it in the same select! loop",
                virtual_time.as_millis()
            ));
        }
        Ok(format!(
            "all {} orders, in order, and {ticks} ticks in {} ms of (paused-clock) time",
            orders.len(),
            virtual_time.as_millis()
        ))
    });
    judge("10.2 a select! loop that loses nothing", SOLUTIONS, result)
}

/// A checksum that takes a while: FNV-1a over `block`, `rounds` times over (the rounds feed
/// into each other, so none can be skipped). Chapter 10 uses it as computing that does not
/// belong on an event loop.
///
/// ```
/// use support::exercises::ch10::checksum;
/// assert_eq!(checksum(b"", 1), 0xcbf2_9ce4_8422_2325);
/// assert_ne!(checksum(b"abc", 2), checksum(b"abd", 2));
/// ```
pub fn checksum(block: &[u8], rounds: u32) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for _ in 0..rounds {
        for &byte in block {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Exercise 10.3: checks `checksums_off_the_loop(blocks, rounds)`, which must return
/// `checksum(block, rounds)` for every block, in order, without holding the event loop: a
/// heartbeat task on the same single-threaded loop ticks every 5 ms and no gap between its ticks
/// may pass 60 ms, while the eight blocks take about 40 ms each to check.
///
/// ```
/// let check = support::exercises::ch10::check_checksums_off_the_loop(
///     support::solutions::ch10::checksums_off_the_loop);
/// assert!(check.passed(), "{check:?}");
/// ```
pub fn check_checksums_off_the_loop<F, Fut>(checksums_off_the_loop: F) -> Check
where
    F: FnOnce(Vec<Vec<u8>>, u32) -> Fut,
    Fut: Future<Output = Vec<u64>>,
{
    let result = attempt(|| {
        let blocks: Vec<Vec<u8>> = (0..8u8)
            .map(|i| {
                (0..64 * 1024)
                    .map(|j| (j as u8).wrapping_mul(i + 1))
                    .collect()
            })
            .collect();
        // Rounds for about 40 ms a block on this machine (FNV-1a runs at about 1 byte/ns).
        let rounds = {
            let started = Instant::now();
            std::hint::black_box(checksum(&blocks[0], 20));
            let per_round = started.elapsed().as_secs_f64() / 20.0;
            ((0.04 / per_round.max(1e-9)) as u32).clamp(20, 20_000)
        };
        let expected: Vec<u64> = blocks.iter().map(|b| checksum(b, rounds)).collect();
        let (sums, longest_gap) = crate::rt::block_on(async move {
            let beats = Arc::new(Mutex::new(vec![Instant::now()]));
            let heartbeat = tokio::spawn({
                let beats = Arc::clone(&beats);
                async move {
                    loop {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        if let Ok(mut beats) = beats.lock() {
                            beats.push(Instant::now());
                        }
                    }
                }
            });
            // Let the heartbeat start before the work does.
            tokio::time::sleep(Duration::from_millis(6)).await;
            let sums = checksums_off_the_loop(blocks, rounds).await;
            heartbeat.abort();
            let mut beats = beats.lock().map(|b| b.clone()).unwrap_or_default();
            beats.push(Instant::now());
            let gap = beats
                .windows(2)
                .map(|w| w[1] - w[0])
                .max()
                .unwrap_or_default();
            (sums, gap)
        })
        .map_err(|e| e.to_string())?;
        if sums != expected {
            return Err(format!(
                "got {} checksums, {} of them right (expected checksum(block, rounds) for each \
                 block, in order)",
                sums.len(),
                sums.iter().zip(&expected).filter(|(a, b)| a == b).count()
            ));
        }
        if longest_gap > Duration::from_millis(60) {
            return Err(format!(
                "the checksums are right, but the heartbeat once waited {:.0} ms: computing \
                 inside async code holds the loop's only thread (hint: spawn_blocking, or a \
                 rayon pool and a oneshot channel)",
                longest_gap.as_secs_f64() * 1e3
            ));
        }
        Ok(format!(
            "8 checksums right, the heartbeat never waited more than {:.0} ms",
            longest_gap.as_secs_f64() * 1e3
        ))
    });
    judge("10.3 computing off the event loop", SOLUTIONS, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::Outcome;
    use tokio::sync::mpsc::Receiver;

    #[test]
    fn todo_means_not_attempted() {
        #[allow(unused_variables)]
        async fn pay(account: Arc<Mutex<i64>>, amount: i64, audit: Audit) -> bool {
            todo!()
        }
        assert_eq!(check_pay(pay).outcome, Outcome::NotAttempted);
        #[allow(unused_variables)]
        async fn collect(parts: Receiver<Part>, tick: Duration) -> (Vec<Order>, usize) {
            todo!()
        }
        assert_eq!(check_collect_orders(collect).outcome, Outcome::NotAttempted);
        #[allow(unused_variables)]
        async fn sums(blocks: Vec<Vec<u8>>, rounds: u32) -> Vec<u64> {
            todo!()
        }
        assert_eq!(
            check_checksums_off_the_loop(sums).outcome,
            Outcome::NotAttempted
        );
    }

    #[test]
    fn checking_then_paying_under_two_locks_is_caught() {
        async fn pay(account: Arc<Mutex<i64>>, amount: i64, audit: Audit) -> bool {
            let enough = *account.lock().unwrap() >= amount;
            if !enough {
                return false;
            }
            // Another payment can get in here, between the check and the debit.
            tokio::time::sleep(Duration::from_millis(1)).await;
            let balance = {
                let mut balance = account.lock().unwrap();
                *balance -= amount;
                *balance
            };
            audit.record(balance).await;
            true
        }
        let check = check_pay(pay);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("under one lock")),
            "{check:?}"
        );
    }

    #[test]
    fn a_payment_left_unaudited_is_caught() {
        async fn pay(account: Arc<Mutex<i64>>, amount: i64, _audit: Audit) -> bool {
            let mut balance = account.lock().unwrap();
            if *balance < amount {
                return false;
            }
            *balance -= amount;
            true
        }
        let check = check_pay(pay);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("auditor heard of 0")),
            "{check:?}"
        );
    }

    #[test]
    fn a_two_step_receive_in_select_loses_orders() {
        async fn next_order(parts: &mut Receiver<Part>) -> Option<Order> {
            let Some(Part::Header(id)) = parts.recv().await else {
                return None;
            };
            match parts.recv().await {
                Some(Part::Body(body)) => Some(Order { id, body }),
                _ => None,
            }
        }
        async fn collect(mut parts: Receiver<Part>, tick: Duration) -> (Vec<Order>, usize) {
            let mut timer = tokio::time::interval(tick);
            let (mut orders, mut ticks) = (Vec::new(), 0);
            loop {
                tokio::select! {
                    order = next_order(&mut parts) => match order {
                        Some(order) => orders.push(order),
                        None => break,
                    },
                    _ = timer.tick() => ticks += 1,
                }
            }
            (orders, ticks)
        }
        let check = check_collect_orders(collect);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("missing")),
            "{check:?}"
        );
    }

    #[test]
    fn ignoring_the_timer_is_caught() {
        async fn collect(mut parts: Receiver<Part>, _tick: Duration) -> (Vec<Order>, usize) {
            let mut orders = Vec::new();
            while let Some(Part::Header(id)) = parts.recv().await {
                if let Some(Part::Body(body)) = parts.recv().await {
                    orders.push(Order { id, body });
                }
            }
            (orders, 0)
        }
        let check = check_collect_orders(collect);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("timer fired 0 times")),
            "{check:?}"
        );
    }

    #[test]
    fn computing_on_the_loop_is_caught() {
        async fn sums(blocks: Vec<Vec<u8>>, rounds: u32) -> Vec<u64> {
            blocks.iter().map(|b| checksum(b, rounds)).collect()
        }
        let check = check_checksums_off_the_loop(sums);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("heartbeat once waited")),
            "{check:?}"
        );
    }

    #[test]
    fn wrong_checksums_are_caught() {
        async fn sums(blocks: Vec<Vec<u8>>, _rounds: u32) -> Vec<u64> {
            blocks.iter().map(|b| checksum(b, 1)).collect()
        }
        let check = check_checksums_off_the_loop(sums);
        assert!(
            matches!(&check.outcome, Outcome::Wrong(why) if why.contains("0 of them right")),
            "{check:?}"
        );
    }
}
