//! A three-level machine: a `Session` whose `Active` superstate holds a `Phase` machine, whose
//! `Streaming` superstate holds a `Flow` machine. Shared by `examples/hierarchy.rs` and the tests.

use lockstep::{Machine, Message, Timeout};

#[derive(Message, Debug, Clone, PartialEq)]
pub struct Connect;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Disconnect;
/// Answered by the innermost level that decides it: the reply says which.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(reply = &'static str)]
pub struct Ping;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Hello;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Bye;
/// Some bytes of the stream.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Chunk(pub u32);
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Pause;
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Resume;

/// What the handlers and hooks did, in order: the one context all three machines share.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
pub struct Log {
    pub events: Vec<String>,
}

impl Log {
    fn note(&mut self, event: &str) {
        self.events.push(event.to_owned());
    }
}

/// A connection.
#[derive(Machine, Debug, Clone, PartialEq, Eq, Hash)]
#[machine(context = Log)]
pub enum Session {
    /// Not connected.
    #[initial]
    #[on(Connect => Active)]
    Idle,
    /// Connected: what happens is up to the phase, but `Disconnect` and `Ping` work in every one
    /// of them, and the whole session times out after 30 s, however often the phase changes.
    #[substates(Hello, Bye, Chunk, Pause, Resume, Ping)]
    #[on(Disconnect => Idle)]
    #[on(Ping)]
    #[timeout(30s => Idle)]
    #[enter]
    #[exit]
    Active(Phase),
}

/// The phases of an active session.
#[derive(Machine, Debug, Clone, PartialEq, Eq, Hash)]
#[machine(context = Log)]
pub enum Phase {
    /// Waiting for the peer's `Hello`; data that arrives early waits too.
    #[initial]
    #[on(Hello => Streaming)]
    #[defer(Chunk)]
    #[timeout(5s => Draining)]
    #[enter]
    #[exit]
    Handshaking,
    /// Data flows; the phase answers `Ping` itself.
    #[substates(Chunk, Pause, Resume)]
    #[on(Bye => Draining)]
    #[on(Ping)]
    #[enter]
    #[exit]
    Streaming(Flow),
    /// Winding down: only the session's own cells (`Disconnect`, `Ping`) still work.
    #[enter]
    #[discard(Chunk)]
    Draining,
}

/// The flow of data while streaming.
#[derive(Machine, Debug, Clone, PartialEq, Eq, Hash)]
#[machine(context = Log)]
pub enum Flow {
    /// Taking data; the count of bytes so far.
    #[initial]
    #[on(Chunk)]
    #[on(Pause => Paused)]
    #[enter]
    #[exit]
    Running(u32),
    /// Holding data back until resumed, for at most a second.
    #[on(Resume => Running)]
    #[defer(Chunk)]
    #[timeout(1s => Running)]
    #[enter]
    #[exit]
    Paused(u32),
}

impl SessionHandlers for Log {
    fn idle_on_connect(&mut self, _: Connect) -> Phase {
        self.note("connect");
        Phase::Handshaking
    }
    fn active_on_disconnect(&mut self, _: Phase, _: Disconnect) {
        self.note("disconnect");
    }
    fn active_on_ping(&mut self, _: &mut Phase, _: Ping) -> &'static str {
        "session"
    }
    fn active_on_timeout(&mut self, _: Phase, _: Timeout) {
        self.note("session timeout");
    }
    fn enter_active(&mut self, _: &mut Phase) {
        self.note("enter Active");
    }
    fn exit_active(&mut self, _: &mut Phase) {
        self.note("exit Active");
    }
}

impl PhaseHandlers for Log {
    fn handshaking_on_hello(&mut self, _: Hello) -> Flow {
        self.note("hello");
        Flow::Running(0)
    }
    fn handshaking_on_timeout(&mut self, _: Timeout) {
        self.note("handshake timeout");
    }
    fn streaming_on_bye(&mut self, _: Flow, _: Bye) {
        self.note("bye");
    }
    fn streaming_on_ping(&mut self, _: &mut Flow, _: Ping) -> &'static str {
        "phase"
    }
    fn enter_handshaking(&mut self) {
        self.note("enter Handshaking");
    }
    fn exit_handshaking(&mut self) {
        self.note("exit Handshaking");
    }
    fn enter_streaming(&mut self, _: &mut Flow) {
        self.note("enter Streaming");
    }
    fn exit_streaming(&mut self, _: &mut Flow) {
        self.note("exit Streaming");
    }
    fn enter_draining(&mut self) {
        self.note("enter Draining");
    }
}

impl FlowHandlers for Log {
    fn running_on_chunk(&mut self, total: &mut u32, chunk: Chunk) {
        *total += chunk.0;
        self.events.push(format!("chunk {}", chunk.0));
    }
    fn running_on_pause(&mut self, total: u32, _: Pause) -> u32 {
        total
    }
    fn paused_on_resume(&mut self, total: u32, _: Resume) -> u32 {
        total
    }
    fn paused_on_timeout(&mut self, total: u32, _: Timeout) -> u32 {
        self.note("pause timeout");
        total
    }
    fn enter_running(&mut self, _: &mut u32) {
        self.note("enter Running");
    }
    fn exit_running(&mut self, _: &mut u32) {
        self.note("exit Running");
    }
    fn enter_paused(&mut self, _: &mut u32) {
        self.note("enter Paused");
    }
    fn exit_paused(&mut self, _: &mut u32) {
        self.note("exit Paused");
    }
}
