//! Solutions to the exercises of chapter 10, "beyond Python".

use crate::exercises::ch10::{Audit, Order, Part, checksum};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::Receiver;

// ANCHOR: pay
/// Exercise 10.1: checks and debits under one lock, in a block of its own, so the guard is
/// dropped before the `.await` and the future stays `Send`; the audit happens after, with the
/// balance copied out of the lock.
pub async fn pay(account: Arc<Mutex<i64>>, amount: i64, audit: Audit) -> bool {
    let balance = {
        let mut balance = account
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *balance < amount {
            return false;
        }
        *balance -= amount;
        *balance
    }; // the guard is dropped here, before any .await
    audit.record(balance).await;
    true
}
// ANCHOR_END: pay

// ANCHOR: collect_orders
/// Exercise 10.2: the header waiting for its body lives in the loop, not in a future that
/// `select!` may drop: each branch is a single `recv`, which is cancel-safe (a message is
/// either received or still in the channel).
pub async fn collect_orders(mut parts: Receiver<Part>, tick: Duration) -> (Vec<Order>, usize) {
    let mut timer = tokio::time::interval(tick);
    let (mut orders, mut ticks) = (Vec::new(), 0);
    let mut header: Option<u32> = None;
    loop {
        tokio::select! {
            part = parts.recv() => match (part, header.take()) {
                (Some(Part::Header(id)), _) => header = Some(id),
                (Some(Part::Body(body)), Some(id)) => orders.push(Order { id, body }),
                (Some(Part::Body(_)), None) => {} // a body without a header: not an order
                (None, _) => break,
            },
            _ = timer.tick() => ticks += 1,
        }
    }
    (orders, ticks)
}
// ANCHOR_END: collect_orders

// ANCHOR: checksums_off_the_loop
/// Exercise 10.3: each block goes to tokio's blocking-thread pool, all started before any is
/// awaited; the event loop only waits for their answers. A checksum that panicked panics here
/// too, rather than passing for a wrong answer.
pub async fn checksums_off_the_loop(blocks: Vec<Vec<u8>>, rounds: u32) -> Vec<u64> {
    let tasks: Vec<_> = blocks
        .into_iter()
        .map(|block| tokio::task::spawn_blocking(move || checksum(&block, rounds)))
        .collect();
    let mut sums = Vec::with_capacity(tasks.len());
    for task in tasks {
        sums.push(
            task.await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
        );
    }
    sums
}
// ANCHOR_END: checksums_off_the_loop

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::ch10::{check_checksums_off_the_loop, check_collect_orders, check_pay};

    #[test]
    fn reference_solutions_pass() {
        let check = check_pay(pay);
        assert!(check.passed(), "{check:?}");
        let check = check_collect_orders(collect_orders);
        assert!(check.passed(), "{check:?}");
        let check = check_checksums_off_the_loop(checksums_off_the_loop);
        assert!(check.passed(), "{check:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_without_a_header_is_not_an_order() {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tx.send(Part::Body("stray".into())).await.unwrap();
        tx.send(Part::Header(1)).await.unwrap();
        tx.send(Part::Body("tea".into())).await.unwrap();
        drop(tx);
        let (orders, _) = collect_orders(rx, Duration::from_millis(1)).await;
        assert_eq!(
            orders,
            vec![Order {
                id: 1,
                body: "tea".into()
            }]
        );
    }
}
