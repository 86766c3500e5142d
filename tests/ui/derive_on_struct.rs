use lockstep::Machine;

#[derive(Machine)]
struct Turnstile {
    locked: bool,
}

fn main() {}
