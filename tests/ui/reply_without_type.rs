use lockstep::Message;

#[derive(Message)]
#[message(reply)]
struct Refund;

fn main() {}
