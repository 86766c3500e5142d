//! Generic machines: type and lifetime parameters, bounds and where clauses.

use std::fmt::Debug;

use lockstep::{Driver, Machine, Message, Outcome};

#[derive(Message, Debug, Clone, PartialEq)]
struct Push<T>(T);

#[derive(Message, Debug, Clone, PartialEq)]
#[message(reply = Vec<T>)]
struct Drain<T>(std::marker::PhantomData<T>);

#[derive(Message, Debug, Clone, PartialEq)]
struct Clear;

/// A buffer that fills and drains.
#[derive(Machine, Debug, PartialEq)]
#[machine(context = Stats<T>, typestate)]
enum Buffer<T: Clone + Debug>
where
    T: PartialEq,
{
    #[initial]
    #[on(Push<T> => Filled)]
    #[discard(Clear)]
    Empty,
    #[on(Push<T>)]
    #[on(Drain<T> => Empty)]
    #[on(Clear => Empty)]
    Filled(Vec<T>),
}

#[derive(Debug)]
struct Stats<T> {
    pushed: usize,
    last: Option<T>,
}

impl<T: Clone + Debug + PartialEq> BufferHandlers<T> for Stats<T> {
    fn empty_on_push(&mut self, message: Push<T>) -> Vec<T> {
        self.pushed += 1;
        self.last = Some(message.0.clone());
        vec![message.0]
    }
    fn filled_on_push(&mut self, state: &mut Vec<T>, message: Push<T>) {
        self.pushed += 1;
        state.push(message.0);
    }
    fn filled_on_drain(&mut self, state: Vec<T>, _: Drain<T>) -> Vec<T> {
        state
    }
}

#[test]
fn generic_machine_dispatches() {
    let mut stats = Stats {
        pushed: 0,
        last: None,
    };
    let mut buffer = Driver::new(Buffer::<u8>::Empty);
    buffer.send(&mut stats, Clear).unwrap();
    buffer.send(&mut stats, Push(1)).unwrap();
    buffer.send(&mut stats, Push(2)).unwrap();
    assert_eq!(
        buffer
            .send(&mut stats, Drain(std::marker::PhantomData))
            .unwrap(),
        vec![1, 2]
    );
    assert_eq!(buffer.machine(), Some(&Buffer::Empty));
    assert_eq!(stats.pushed, 2);
    assert_eq!(stats.last, Some(1));
    assert_eq!(<Buffer<u8> as Machine>::STATES.len(), 2);
}

#[test]
fn generic_typestate() {
    let mut stats = Stats {
        pushed: 0,
        last: None,
    };
    let empty = BufferEmpty::<&str>(std::marker::PhantomData);
    let filled = empty.send(&mut stats, Push("a"));
    let filled = filled.send(&mut stats, Push("b"));
    assert_eq!(filled.0, vec!["a", "b"]);
    let (_empty, drained) = filled.send(&mut stats, Drain(std::marker::PhantomData));
    assert_eq!(drained, vec!["a", "b"]);
}

/// A machine borrowing its data: lifetimes work too.
#[derive(Machine, Debug, PartialEq)]
#[machine(context = Source<'a>, typestate)]
enum Reader<'a> {
    #[initial]
    #[on(Next => Reading)]
    Start,
    #[on(Next)]
    #[on(Stop => Done)]
    Reading(&'a str),
    #[terminal]
    Done,
}

#[derive(Message)]
struct Next;
#[derive(Message)]
struct Stop;

struct Source<'a>(std::str::SplitWhitespace<'a>);

impl<'a> ReaderHandlers<'a> for Source<'a> {
    fn start_on_next(&mut self, _: Next) -> &'a str {
        self.0.next().unwrap_or("")
    }
    fn reading_on_next(&mut self, state: &mut &'a str, _: Next) {
        *state = self.0.next().unwrap_or("");
    }
}

#[test]
fn lifetimes() {
    let text = String::from("alpha beta gamma");
    let mut source = Source(text.split_whitespace());
    let mut reader = Driver::new(Reader::Start);
    reader.send(&mut source, Next).unwrap();
    reader.send(&mut source, Next).unwrap();
    assert_eq!(reader.machine(), Some(&Reader::Reading("beta")));
    reader.send(&mut source, Stop).unwrap();
    assert_eq!(reader.machine(), Some(&Reader::Done));
    let rejected = reader.send(&mut source, Next).unwrap_err();
    assert_eq!(rejected.state, "Done");
}

/// Const generics.
#[derive(Machine, Debug, PartialEq)]
enum Ring<const N: usize> {
    #[initial]
    #[on(Next => Full)]
    Open([u8; N]),
    #[on(Stop => Open)]
    Full,
}

impl<const N: usize> RingHandlers<N> for () {
    fn open_on_next(&mut self, _: [u8; N], _: Next) {}
    fn full_on_stop(&mut self, _: Stop) -> [u8; N] {
        [7; N]
    }
}

#[test]
fn const_generics() {
    let mut ring = Driver::new(Ring::<3>::Open([0; 3]));
    ring.send(&mut (), Next).unwrap();
    ring.send(&mut (), Stop).unwrap();
    assert_eq!(ring.machine(), Some(&Ring::Open([7; 3])));
}

#[allow(dead_code)]
fn outcome_is_generic<M: lockstep::Message>(o: &Outcome<M>) -> bool {
    o.changed_state()
}
