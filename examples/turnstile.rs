//! The smallest lockstep machine: a coin-operated turnstile.
//!
//! Run it: `cargo run --example turnstile`. It drives the machine, shows a rejection handing the
//! message back, and prints the generated table and diagram.

use lockstep::{Driver, Machine, Message, Reason};

/// Pays into the turnstile.
#[derive(Message, Debug)]
pub struct Coin {
    /// How much.
    pub cents: u32,
}

/// Walks through.
#[derive(Message, Debug)]
pub struct Push;

/// Takes the money back instead of walking through; replies with the cents returned.
#[derive(Message, Debug)]
#[message(reply = u32)]
pub struct Refund;

/// The data of the `Unlocked` state.
#[derive(Debug)]
pub struct Paid {
    /// Paid so far.
    pub cents: u32,
}

/// Shared by every state: the money kept.
#[derive(Default, Debug)]
pub struct Till {
    /// Cents kept from people who walked through.
    pub total: u64,
}

/// A coin-operated turnstile.
#[derive(Machine, Debug)]
#[machine(context = Till, typestate)]
pub enum Turnstile {
    /// The arm is locked until someone pays.
    #[initial]
    #[on(Coin => Unlocked)]
    #[discard(Push)]
    Locked,
    /// Paid: one person may pass, or take the money back.
    #[on(Push => Locked)]
    #[on(Coin)]
    #[on(Refund => Locked)]
    Unlocked(Paid),
}

impl TurnstileHandlers for Till {
    fn locked_on_coin(&mut self, coin: Coin) -> Paid {
        Paid { cents: coin.cents }
    }
    fn unlocked_on_push(&mut self, paid: Paid, _: Push) {
        self.total += u64::from(paid.cents);
    }
    fn unlocked_on_coin(&mut self, paid: &mut Paid, coin: Coin) {
        paid.cents += coin.cents;
    }
    fn unlocked_on_refund(&mut self, paid: Paid, _: Refund) -> u32 {
        paid.cents
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut till = Till::default();
    let mut turnstile = Driver::new(Turnstile::Locked);

    // Locked has nothing to refund: the message comes back with the reason.
    let rejected = turnstile.send(&mut till, Refund).unwrap_err();
    assert_eq!(rejected.reason, Reason::NotAccepted);
    println!("rejected: {rejected}");

    turnstile.send(&mut till, Push)?; // discarded on purpose while Locked
    turnstile.send(&mut till, Coin { cents: 50 })?;
    turnstile.send(&mut till, Coin { cents: 25 })?;
    println!("refunded {} cents", turnstile.send(&mut till, Refund)?);
    turnstile.send(&mut till, Coin { cents: 100 })?;
    turnstile.send(&mut till, Push)?;
    println!(
        "state: {}, till: {} cents",
        turnstile.state_name(),
        till.total
    );

    // The same machine as a typestate: only messages the state handles compile.
    let locked = TurnstileLocked;
    let unlocked = locked.send(&mut till, Coin { cents: 10 });
    let (locked, cents) = unlocked.send(&mut till, Refund);
    let _: Turnstile = locked.into();
    println!("typestate refund: {cents} cents");

    println!("\n{}", lockstep::table::<Turnstile>());
    println!("{}", Turnstile::MERMAID);
    Ok(())
}
