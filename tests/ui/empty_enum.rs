use lockstep::Machine;

#[derive(Machine)]
enum Nothing {}

fn main() {}
