//! A `no_std` crate using the derive and the pure dispatch (and, with `alloc`, the driver).
#![no_std]

use lockstep::{Accepts, Machine, Message, Outcome};

#[derive(Message)]
pub struct Coin(pub u32);

#[derive(Message)]
#[message(reply = u32)]
pub struct Refund;

#[derive(Machine)]
#[machine(context = u64)]
pub enum Turnstile {
    #[initial]
    #[on(Coin => Unlocked)]
    Locked,
    #[on(Refund => Locked)]
    #[on(Coin)]
    Unlocked(u32),
}

impl TurnstileHandlers for u64 {
    fn locked_on_coin(&mut self, coin: Coin) -> u32 {
        coin.0
    }
    fn unlocked_on_refund(&mut self, paid: u32, _: Refund) -> u32 {
        paid
    }
    fn unlocked_on_coin(&mut self, paid: &mut u32, coin: Coin) {
        *paid += coin.0;
        *self += 1;
    }
}

/// Runs the pure dispatch: no allocation, no `std`.
pub fn refund_after(coins: &[u32]) -> Option<u32> {
    let mut till = 0u64;
    let mut machine = Turnstile::Locked;
    for &c in coins {
        machine = machine.dispatch(&mut till, Coin(c)).0;
    }
    match machine.dispatch(&mut till, Refund).1 {
        Outcome::Moved { reply, .. } => Some(reply),
        _ => None,
    }
}

/// The driver needs `alloc` (its deferred queue).
#[cfg(feature = "alloc")]
pub fn driven(coins: &[u32]) -> Option<u32> {
    extern crate alloc;
    let mut till = 0u64;
    let mut turnstile = lockstep::Driver::new(Turnstile::Locked);
    for &c in coins {
        turnstile.send(&mut till, Coin(c)).ok()?;
    }
    turnstile.send(&mut till, Refund).ok()
}
