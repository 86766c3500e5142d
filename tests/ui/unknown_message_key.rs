use lockstep::Message;

#[derive(Message)]
#[message(replies = u32)]
struct Refund;

fn main() {}
