//! Hierarchical states: `cargo run --example hierarchy`. A session whose `Active` superstate holds
//! a `Phase` machine, whose `Streaming` superstate holds a `Flow` machine.

#[path = "session/mod.rs"]
mod session;

use lockstep::{Driver, Machine};
use session::{Bye, Chunk, Connect, Hello, Log, Pause, Ping, Session};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut log = Log::default();
    let mut session = Driver::new(Session::Idle);
    session.send(&mut log, Connect)?;
    println!("{}", session.state_path()); // Active/Handshaking
    println!("ping: {}", session.send(&mut log, Ping)?); // the session answers
    session.post(&mut log, Chunk(3))?; // Handshaking defers it
    session.send(&mut log, Hello)?; // ...and it is replayed in Streaming/Running
    println!("{}", session.state_path()); // Active/Streaming/Running
    println!("ping: {}", session.send(&mut log, Ping)?); // the phase answers: substate wins
    session.send(&mut log, Pause)?;
    if let Err(rejected) = session.send(&mut log, Hello) {
        println!("{rejected}");
    }
    session.send(&mut log, Bye)?;
    println!("{}", session.state_path()); // Active/Draining
    println!("{}", lockstep::mermaid::<Session>());
    let _ = Session::NAME;
    for event in &log.events {
        println!("  {event}");
    }
    Ok(())
}
