//! lockstep's actor against a hand-written tokio actor, ractor and kameo, on the same counter:
//! `Inc` adds one, `Get` replies with the count.
//!
//! - tell throughput: `TELLS` tells, then one ask, so the time covers every tell being processed;
//!   the ask must return `TELLS`.
//! - ask round trip: `ASKS` sequential asks on the same actor, each checked to return `TELLS`.
//!
//! Each runs on a multi-thread runtime (2 workers) and on a current-thread runtime. The client is a
//! task on the runtime, as a caller in an application would be, and the actor is spawned before the
//! clock starts. Rounds go round-robin over the implementations (starting one further each round,
//! so none always runs first); each figure is the median over the rounds. Mailboxes hold 1024
//! messages wherever that can be set (ractor's is unbounded).
//!
//! Run it: `cargo bench -p lockstep-benches --bench actor`. It ends with
//! `RESULT actor tell_vs_hand_mt=R tell_vs_hand_ct=R ask_vs_hand_mt=R ask_vs_hand_ct=R
//! tell_vs_ractor_mt=R tell_vs_kameo_mt=R` (one line; R = lockstep's time / the other's time, so
//! below 1 means lockstep is faster).

use std::future::Future;
use std::time::{Duration, Instant};

use lockstep::actor::{Actor, Join, Spawn};
use lockstep::{Machine, Message};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::{mpsc, oneshot};

const TELLS: u64 = 1_000_000;
const ASKS: u64 = 100_000;
const MAILBOX: usize = 1024;
/// Rounds over all implementations; each figure is the median.
const ROUNDS: usize = 11;

/// A running counter actor, seen from its client: one implementation under test.
trait Contender: Sized + Send + Sync + 'static {
    const NAME: &'static str;
    /// Spawns the actor on the current runtime and waits until it is ready.
    fn start() -> impl Future<Output = Self> + Send;
    /// Sends `Inc`, waiting only for mailbox room.
    fn inc(&self) -> impl Future<Output = ()> + Send;
    /// Sends `Get` and waits for the count.
    fn get(&self) -> impl Future<Output = u64> + Send;
    /// Stops the actor and waits for its task to end.
    fn stop(self) -> impl Future<Output = ()> + Send;
}

/// One round's times of one implementation.
#[derive(Clone, Copy)]
struct Times {
    tell: Duration,
    ask: Duration,
}

/// The same work for every implementation; only the two timed loops are on the clock.
async fn measure<C: Contender>() -> Times {
    let actor = C::start().await;

    let started = Instant::now();
    for _ in 0..TELLS {
        actor.inc().await;
    }
    // The mailbox is FIFO, so this reply comes after every tell has been handled.
    assert_eq!(actor.get().await, TELLS, "{}: tells lost", C::NAME);
    let tell = started.elapsed();

    let started = Instant::now();
    for _ in 0..ASKS {
        assert_eq!(actor.get().await, TELLS, "{}: wrong reply", C::NAME);
    }
    let ask = started.elapsed();

    actor.stop().await;
    Times { tell, ask }
}

// ---- lockstep: the machine, its handlers, and the actor as a user spawns it -------------------

/// Adds one.
#[derive(Message)]
pub struct Inc;

/// Reads the count.
#[derive(Message)]
#[message(reply = u64)]
pub struct Get;

/// The count.
#[derive(Default)]
pub struct Count(u64);

/// The counter: one state that takes both messages.
#[derive(Machine)]
#[machine(context = Count)]
pub enum Counter {
    /// Counts, and tells the count.
    #[initial]
    #[on(Inc)]
    #[on(Get)]
    Counting,
}

impl CounterHandlers for Count {
    fn counting_on_inc(&mut self, _: Inc) {
        self.0 += 1;
    }
    fn counting_on_get(&mut self, _: Get) -> u64 {
        self.0
    }
}

struct Lockstep<const ASK_TIMEOUT: bool> {
    actor: Actor<Counter>,
    join: Join<Counter>,
}

impl<const ASK_TIMEOUT: bool> Contender for Lockstep<ASK_TIMEOUT> {
    const NAME: &'static str = if ASK_TIMEOUT {
        "lockstep"
    } else {
        "lockstep, no ask timeout"
    };

    async fn start() -> Self {
        // Default settings but for the mailbox, set to match; the second row also turns the
        // default 5 s ask timeout off, to show what the timer costs (the peers have none).
        let mut builder = Counter::Counting.actor(Count::default()).mailbox(MAILBOX);
        if !ASK_TIMEOUT {
            builder = builder.ask_timeout(None);
        }
        let (actor, join) = builder.spawn();
        Lockstep { actor, join }
    }

    async fn inc(&self) {
        self.actor.tell(Inc).await.expect("lockstep actor alive");
    }

    async fn get(&self) -> u64 {
        self.actor.ask(Get).await.expect("lockstep replies")
    }

    async fn stop(self) {
        // The actor ends when its last handle drops.
        drop(self.actor);
        let last = self.join.await.expect("lockstep actor ends");
        assert_eq!(last.context.0, TELLS);
    }
}

// ---- hand-written: the floor, a bounded tokio mpsc channel and a receive loop -----------------

enum HandMsg {
    Inc,
    Get(oneshot::Sender<u64>),
}

struct Hand {
    tx: mpsc::Sender<HandMsg>,
    task: tokio::task::JoinHandle<u64>,
}

impl Contender for Hand {
    const NAME: &'static str = "hand";

    async fn start() -> Self {
        let (tx, mut rx) = mpsc::channel(MAILBOX);
        let task = tokio::spawn(async move {
            let mut count = 0u64;
            while let Some(msg) = rx.recv().await {
                match msg {
                    HandMsg::Inc => count += 1,
                    HandMsg::Get(reply) => {
                        let _ = reply.send(count);
                    }
                }
            }
            count
        });
        Hand { tx, task }
    }

    async fn inc(&self) {
        self.tx.send(HandMsg::Inc).await.expect("hand actor alive");
    }

    async fn get(&self) -> u64 {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(HandMsg::Get(reply))
            .await
            .expect("hand actor alive");
        rx.await.expect("hand actor replies")
    }

    async fn stop(self) {
        // The loop ends when the last sender drops.
        drop(self.tx);
        assert_eq!(self.task.await.expect("hand actor ends"), TELLS);
    }
}

// ---- ractor -----------------------------------------------------------------------------------

enum RactorMsg {
    Inc,
    Get(ractor::RpcReplyPort<u64>),
}

struct RactorCounter;

impl ractor::Actor for RactorCounter {
    type Msg = RactorMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(
        &self,
        _: ractor::ActorRef<RactorMsg>,
        (): (),
    ) -> Result<u64, ractor::ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ractor::ActorRef<RactorMsg>,
        msg: RactorMsg,
        count: &mut u64,
    ) -> Result<(), ractor::ActorProcessingErr> {
        match msg {
            RactorMsg::Inc => *count += 1,
            RactorMsg::Get(reply) => {
                let _ = reply.send(*count);
            }
        }
        Ok(())
    }
}

struct Ractor {
    actor: ractor::ActorRef<RactorMsg>,
    task: tokio::task::JoinHandle<()>,
}

impl Contender for Ractor {
    const NAME: &'static str = "ractor";

    async fn start() -> Self {
        // `spawn` returns once `pre_start` has run.
        let (actor, task) = ractor::Actor::spawn(None, RactorCounter, ())
            .await
            .expect("ractor spawns");
        Ractor { actor, task }
    }

    async fn inc(&self) {
        // ractor's mailbox is unbounded: `cast` never waits.
        self.actor.cast(RactorMsg::Inc).expect("ractor actor alive");
    }

    async fn get(&self) -> u64 {
        match self.actor.call(RactorMsg::Get, None).await {
            Ok(ractor::rpc::CallResult::Success(count)) => count,
            _ => panic!("ractor call failed"),
        }
    }

    async fn stop(self) {
        self.actor.stop(None);
        self.task.await.expect("ractor actor ends");
    }
}

// ---- kameo ------------------------------------------------------------------------------------

#[derive(kameo::Actor, Default)]
struct KameoCounter(u64);

struct KameoInc;
struct KameoGet;

impl kameo::message::Message<KameoInc> for KameoCounter {
    type Reply = ();

    async fn handle(&mut self, _: KameoInc, _: &mut kameo::message::Context<Self, ()>) {
        self.0 += 1;
    }
}

impl kameo::message::Message<KameoGet> for KameoCounter {
    type Reply = u64;

    async fn handle(&mut self, _: KameoGet, _: &mut kameo::message::Context<Self, u64>) -> u64 {
        self.0
    }
}

struct Kameo(kameo::actor::ActorRef<KameoCounter>);

impl Contender for Kameo {
    const NAME: &'static str = "kameo";

    async fn start() -> Self {
        use kameo::actor::Spawn;
        // kameo's bounded mailbox (its default, at 64), here at the same 1024 as the others.
        let actor = KameoCounter::spawn_with_mailbox(
            KameoCounter::default(),
            kameo::mailbox::bounded(MAILBOX),
        );
        actor.wait_for_startup().await;
        Kameo(actor)
    }

    // `.send()` rather than `.await` on the request: awaiting it directly boxes the future.
    async fn inc(&self) {
        self.0
            .tell(KameoInc)
            .send()
            .await
            .expect("kameo actor alive");
    }

    async fn get(&self) -> u64 {
        self.0.ask(KameoGet).send().await.expect("kameo replies")
    }

    async fn stop(self) {
        self.0.stop_gracefully().await.expect("kameo actor alive");
        self.0.wait_for_shutdown().await;
    }
}

// ---- harness ----------------------------------------------------------------------------------

type Round = fn(&Runtime) -> Times;

/// Runs one measurement with the client as a task on `rt`, like the actor.
fn round<C: Contender>(rt: &Runtime) -> Times {
    rt.block_on(async { tokio::spawn(measure::<C>()).await.expect("client task") })
}

/// lockstep first: the tables' ratios are against the first row.
const CONTENDERS: [(&str, Round); 5] = [
    (Lockstep::<true>::NAME, round::<Lockstep<true>>),
    (Hand::NAME, round::<Hand>),
    (Ractor::NAME, round::<Ractor>),
    (Kameo::NAME, round::<Kameo>),
    (Lockstep::<false>::NAME, round::<Lockstep<false>>),
];

/// Median tell and ask times per contender, in `CONTENDERS` order.
fn run(rt: &Runtime) -> Vec<Times> {
    let mut samples: Vec<Vec<Times>> = vec![Vec::with_capacity(ROUNDS); CONTENDERS.len()];
    for r in 0..ROUNDS {
        for i in (0..CONTENDERS.len()).map(|k| (k + r) % CONTENDERS.len()) {
            samples[i].push(CONTENDERS[i].1(rt));
        }
    }
    samples
        .into_iter()
        .map(|s| Times {
            tell: median(s.iter().map(|t| t.tell).collect()),
            ask: median(s.iter().map(|t| t.ask).collect()),
        })
        .collect()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort_unstable();
    xs[xs.len() / 2]
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Prints one runtime's table; ratios are against the first row.
fn table(title: &str, times: &[Times]) {
    println!("{title}, median of {ROUNDS} rounds");
    println!(
        "  {:<25} {:>14} {:>16} {:>11} {:>10}",
        "impl", "tells/s", "ask round trip", "tell ratio", "ask ratio"
    );
    #[allow(clippy::cast_precision_loss)]
    for ((name, _), t) in CONTENDERS.iter().zip(times) {
        println!(
            "  {name:<25} {:>12.2} M {:>13.2} µs {:>11.3} {:>10.3}",
            TELLS as f64 / t.tell.as_secs_f64() / 1e6,
            t.ask.as_secs_f64() * 1e6 / ASKS as f64,
            ratio(times[0].tell, t.tell),
            ratio(times[0].ask, t.ask),
        );
    }
    println!();
}

fn main() {
    let started = Instant::now();
    let mt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("multi-thread runtime");
    let mt_times = run(&mt);
    drop(mt);
    let ct = Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("current-thread runtime");
    let ct_times = run(&ct);
    drop(ct);

    println!(
        "{TELLS} tells then one ask; {ASKS} sequential asks; mailbox {MAILBOX} (ractor unbounded)\n"
    );
    table("multi-thread runtime (2 workers)", &mt_times);
    table("current-thread runtime", &ct_times);
    println!("total {:.1} s", started.elapsed().as_secs_f64());

    // Rows: 0 lockstep, 1 hand, 2 ractor, 3 kameo (4: lockstep without an ask timeout).
    let (mt, ct) = (&mt_times, &ct_times);
    println!(
        "RESULT actor tell_vs_hand_mt={:.3} tell_vs_hand_ct={:.3} ask_vs_hand_mt={:.3} ask_vs_hand_ct={:.3} tell_vs_ractor_mt={:.3} tell_vs_kameo_mt={:.3}",
        ratio(mt[0].tell, mt[1].tell),
        ratio(ct[0].tell, ct[1].tell),
        ratio(mt[0].ask, mt[1].ask),
        ratio(ct[0].ask, ct[1].ask),
        ratio(mt[0].tell, mt[2].tell),
        ratio(mt[0].tell, mt[3].tell),
    );
}
