//! A machine that uses every cell kind, shared by the behaviour and reference-model tests.
#![allow(dead_code)]

use lockstep::{Machine, Message};

#[derive(Message, Debug, Clone, PartialEq)]
pub struct Open;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Close;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Knock;
/// Counts deliveries so far.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(reply = usize)]
pub struct Count;
/// A parcel: deferred while the door is closed, taken in while it is open.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Deliver(pub u32);
/// Slams the door: it either closes or jams; replies whether it jammed.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(reply = bool)]
pub struct Slam {
    pub hard: bool,
}
/// Rings the bell: deferred while jammed, and rejected by an open door (nobody rings it).
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Ring;
/// The handler panics (for poisoning tests).
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Explode;

#[derive(Machine, Debug, Clone, PartialEq)]
#[machine(context = House, typestate, derive(Debug, Clone, PartialEq))]
pub enum Door {
    /// Closed; parcels wait outside until it opens.
    #[initial]
    #[on(Open => Opened)]
    #[on(Knock)]
    #[discard(Close)]
    #[defer(Deliver)]
    Closed,
    /// Open: parcels come in.
    #[on(Close => Closed)]
    #[on(Deliver)]
    #[on(Count)]
    #[on(Slam => Closed | Jammed)]
    #[on(Explode)]
    Opened(Vec<u32>),
    /// Stuck until forced open; parcels wait.
    #[on(Open => Opened)]
    #[defer(Deliver, Ring)]
    Jammed,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct House {
    pub knocks: u32,
    pub stored: Vec<u32>,
}

impl DoorHandlers for House {
    fn closed_on_open(&mut self, _: Open) -> Vec<u32> {
        Vec::new()
    }
    fn closed_on_knock(&mut self, _: Knock) {
        self.knocks += 1;
    }
    fn opened_on_close(&mut self, parcels: Vec<u32>, _: Close) {
        self.stored.extend(parcels);
    }
    fn opened_on_deliver(&mut self, parcels: &mut Vec<u32>, parcel: Deliver) {
        parcels.push(parcel.0);
    }
    fn opened_on_count(&mut self, parcels: &mut Vec<u32>, _: Count) -> usize {
        parcels.len()
    }
    fn opened_on_slam(&mut self, parcels: Vec<u32>, slam: Slam) -> (DoorOpenedOnSlam, bool) {
        self.stored.extend(parcels);
        if slam.hard {
            (DoorOpenedOnSlam::Jammed, true)
        } else {
            (DoorOpenedOnSlam::Closed, false)
        }
    }
    fn opened_on_explode(&mut self, parcels: &mut Vec<u32>, _: Explode) {
        parcels.push(u32::MAX);
        panic!("the door exploded");
    }
    fn jammed_on_open(&mut self, _: Open) -> Vec<u32> {
        Vec::new()
    }
}
