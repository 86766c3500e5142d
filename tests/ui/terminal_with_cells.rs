use lockstep::{Machine, Message};

#[derive(Message)]
struct Start;

#[derive(Message)]
struct Retry;

#[derive(Machine)]
enum Job {
    #[initial]
    #[on(Start => Done)]
    Pending,
    #[terminal]
    #[on(Retry => Pending)]
    Done,
}

impl JobHandlers for () {
    fn done_on_retry(&mut self, _: Retry) {}
}

fn main() {}
