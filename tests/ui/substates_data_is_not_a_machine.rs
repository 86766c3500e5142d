use lockstep::{Machine, Message};

#[derive(Message)]
pub struct Connect;
#[derive(Message)]
pub struct Hello;
#[derive(Message)]
pub struct Bye;

pub struct Phase;

#[derive(Machine)]
pub enum Session {
    #[initial]
    #[on(Connect => Active)]
    Idle,
    #[substates(Hello, Bye)]
    Active(Phase),
}

impl SessionHandlers for () {
    fn idle_on_connect(&mut self, _: Connect) -> Phase {
        Phase
    }
}

fn main() {}
