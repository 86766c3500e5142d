//! The turnstile as an actor: many riders at once, one message at a time.
//!
//! Run it: `cargo run --example actor --features actor`. Eight riders share one turnstile. Each pays
//! and pushes through; a rider who finds it unlocked by someone else's coin is turned away with the
//! message handed back; a paid turnstile nobody pushes locks again after a timeout and keeps the
//! coin; a push on a locked arm is answered `false`. At the end the actor's books are checked
//! against the riders': every coin and every rider is accounted for.

use std::time::Duration;

use lockstep::actor::{AskError, Spawn};
use lockstep::{Machine, Message, Reason, Timeout};

/// Pays into the turnstile.
#[derive(Message, Debug)]
pub struct Coin;

/// Walks through; replies whether the rider got through.
#[derive(Message, Debug)]
#[message(reply = bool)]
pub struct Push;

/// What the turnstile took in.
#[derive(Debug, Default)]
pub struct Till {
    /// Riders who got through.
    pub passed: u32,
    /// Coins kept because nobody pushed in time.
    pub forfeited: u32,
}

/// A coin-operated turnstile that locks again if nobody uses what they paid for.
#[derive(Machine, Debug)]
#[machine(context = Till)]
pub enum Turnstile {
    /// Waiting for a coin; a push on a locked arm goes nowhere.
    #[initial]
    #[on(Coin => Unlocked)]
    #[on(Push)]
    Locked,
    /// Paid: one rider may pass. Unused for 50 ms, it locks and keeps the coin.
    #[on(Push => Locked)]
    #[timeout(50ms => Locked)]
    Unlocked,
}

impl TurnstileHandlers for Till {
    fn locked_on_push(&mut self, _: Push) -> bool {
        false
    }
    fn unlocked_on_push(&mut self, _: Push) -> bool {
        self.passed += 1;
        true
    }
    fn unlocked_on_timeout(&mut self, _: Timeout) {
        self.forfeited += 1;
    }
}

/// What one rider saw.
#[derive(Default)]
struct Ride {
    coins: u32,
    passed: u32,
    blocked: u32,
    turned_away: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (turnstile, join) = Turnstile::Locked.actor(Till::default()).mailbox(64).spawn();

    let mut riders = Vec::new();
    for rider in 0..8u64 {
        let turnstile = turnstile.clone();
        riders.push(tokio::spawn(async move {
            let mut ride = Ride::default();
            for round in 0..200u64 {
                // Someone else's coin may unlock it first: then this coin arrives at an
                // unlocked arm, which takes no coin, and comes back.
                match turnstile.ask(Coin).await {
                    Ok(()) => ride.coins += 1,
                    Err(AskError::Rejected(rejected)) => {
                        assert_eq!(rejected.state, "Unlocked");
                        assert_eq!(rejected.reason, Reason::NotAccepted);
                        let Coin = rejected.into_message(); // the coin is the rider's again
                        ride.turned_away += 1;
                    }
                    Err(other) => return Err(other.to_string()),
                }
                // Now and then a rider dawdles, and the paid turnstile locks again.
                if (rider + round) % 50 == 0 {
                    tokio::time::sleep(Duration::from_millis(60)).await;
                }
                match turnstile.ask(Push).await {
                    Ok(true) => ride.passed += 1,
                    Ok(false) => ride.blocked += 1,
                    Err(other) => return Err(other.to_string()),
                }
            }
            Ok(ride)
        }));
    }

    let mut total = Ride::default();
    for rider in riders {
        let ride = rider.await??;
        total.coins += ride.coins;
        total.passed += ride.passed;
        total.blocked += ride.blocked;
        total.turned_away += ride.turned_away;
    }
    drop(turnstile);
    let last = join.await?;
    let till = &last.context;

    println!(
        "riders: {} coins paid, {} turned away with their coin",
        total.coins, total.turned_away
    );
    println!(
        "        {} got through, {} pushed a locked arm",
        total.passed, total.blocked
    );
    println!(
        "till:   {} passed, {} coins kept after a timeout",
        till.passed, till.forfeited
    );
    println!("actor:  {:?}", last.metrics);

    // Every coin taken either let someone through or was kept after the timeout (or is still in
    // an unlocked turnstile), and the riders and the till agree on who passed.
    assert_eq!(total.passed, till.passed);
    let open = u32::from(last.machine.state_name() == "Unlocked");
    assert_eq!(total.coins, till.passed + till.forfeited + open);
    assert_eq!(u64::from(total.turned_away), last.metrics.rejected);
    Ok(())
}
