//! What `ExactlyOnce` costs per message on the synchronous driver: the same counter machine sent
//! `MESSAGES` plain messages, then the same number of fresh envelopes from `SENDERS` senders in
//! turn (each applied: the number check, the dispatch, a reply kept in the window and one
//! evicted), then as many retries (each answered from the window, no handler run).
//!
//! Rounds alternate the three; each figure is the median over `ROUNDS` rounds.
//!
//! Run it: `cargo bench -p lockstep-benches --bench exactly_once`. It ends with
//! `RESULT exactly_once senders=S window=W plain_ns=P fresh_ns=F retry_ns=R fresh_vs_plain=F/P`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use lockstep::{Driver, Envelope, ExactlyOnce, Machine, Message, SenderId};

const MESSAGES: u64 = 1_000_000;
const SENDERS: u64 = 16;
const WINDOW: u32 = 32;
const ROUNDS: usize = 11;

/// Adds to the count; replies with the count.
#[derive(Message, Clone, Debug)]
#[message(reply = u64)]
pub struct Add(pub u64);

/// The count.
#[derive(Default)]
pub struct Count(pub u64);

/// One state that takes `Add`.
#[derive(Machine)]
#[machine(context = Count, derive(Clone))]
pub enum Counter {
    /// Counting.
    #[initial]
    #[on(Add)]
    Counting,
}

impl CounterHandlers for Count {
    fn counting_on_add(&mut self, add: Add) -> u64 {
        self.0 += add.0;
        self.0
    }
}

fn plain() -> Duration {
    let mut count = Count::default();
    let mut driver = Driver::new(Counter::Counting);
    let started = Instant::now();
    for _ in 0..MESSAGES {
        black_box(driver.send(&mut count, black_box(Add(1))).ok());
    }
    let time = started.elapsed();
    assert_eq!(count.0, MESSAGES);
    time
}

/// Fresh envelopes, then every one of the last `WINDOW` numbers of each sender retried over and
/// over: `(fresh, retry)`.
fn enveloped() -> (Duration, Duration) {
    let mut count = Count::default();
    let mut driver = Driver::new(ExactlyOnce::new(Counter::Counting).window(WINDOW));
    let started = Instant::now();
    for i in 0..MESSAGES {
        let envelope = Envelope::new(SenderId(i % SENDERS), i / SENDERS, Add(1));
        black_box(driver.send(&mut count, black_box(envelope)).ok());
    }
    let fresh = started.elapsed();
    assert_eq!(count.0, MESSAGES);
    let next = MESSAGES / SENDERS;
    let started = Instant::now();
    for i in 0..MESSAGES {
        let back = 1 + (i / SENDERS) % u64::from(WINDOW);
        let envelope = Envelope::new(SenderId(i % SENDERS), next - back, Add(1));
        let reply = driver.send(&mut count, black_box(envelope));
        assert!(reply.is_ok(), "a retry within the window is answered");
        black_box(reply.ok());
    }
    let retry = started.elapsed();
    assert_eq!(count.0, MESSAGES, "no retry ran the handler");
    (fresh, retry)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

#[allow(clippy::cast_precision_loss)]
fn per_message(time: Duration) -> f64 {
    time.as_nanos() as f64 / MESSAGES as f64
}

fn main() {
    let (mut plains, mut freshes, mut retries) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        plains.push(plain());
        let (fresh, retry) = enveloped();
        freshes.push(fresh);
        retries.push(retry);
    }
    let (plain, fresh, retry) = (
        per_message(median(plains)),
        per_message(median(freshes)),
        per_message(median(retries)),
    );
    println!("{MESSAGES} messages, {SENDERS} senders, window {WINDOW}, median of {ROUNDS} rounds");
    println!("plain message     {plain:>7.1} ns");
    println!("fresh envelope    {fresh:>7.1} ns");
    println!("retry answered    {retry:>7.1} ns");
    println!(
        "RESULT exactly_once senders={SENDERS} window={WINDOW} plain_ns={plain:.1} fresh_ns={fresh:.1} retry_ns={retry:.1} fresh_vs_plain={:.2}",
        fresh / plain
    );
}
