//! The expansion uses absolute paths only: it compiles next to user items that shadow prelude
//! names, and without warnings under
//! `clippy::pedantic` (CI runs clippy with `-D warnings` on this file).
#![deny(warnings, clippy::pedantic, missing_docs)]
#![allow(dead_code, clippy::unused_self)]

/// Items named like the prelude's, in scope of the generated code.
mod shadowed {
    #![allow(clippy::enum_variant_names)]

    /// Not `core::result::Result`.
    pub enum Result {
        /// Not `Ok`.
        Ok,
    }
    /// Not `core::option::Option`.
    pub struct Option;
    /// Not `Some`.
    pub struct Some;
    /// Not `None`.
    pub struct None;
    /// Not `Box`.
    pub struct Box;
    /// Not `String`.
    pub struct String;
    /// Not `Vec`.
    pub struct Vec;
    /// Not `From`.
    pub trait From {}
    /// Not `Into`.
    pub trait Into {}
    /// Not `Clone`.
    pub trait Clone {}
    /// Not `Default`.
    pub trait Default {}
    /// Not `core`.
    pub mod core {}
    /// Not `std`.
    pub mod std {}
}

/// A machine defined where every prelude name means something else.
pub mod machine {
    #[allow(unused_imports)]
    use super::shadowed::{
        Box, Clone, Default, From, Into, Option, Result, Some, String, Vec, core, std,
    };
    #[allow(unused_imports)]
    use super::shadowed::{None, Result::Ok};
    use lockstep::{Machine, Message};

    /// A plain message.
    #[derive(Message)]
    pub struct Ping;

    /// A message with a reply.
    #[derive(Message)]
    #[message(reply = u8)]
    pub struct Ask;

    /// A generic message.
    #[derive(Message)]
    pub struct Put<T>(pub T);

    /// Data of a state.
    pub struct Data(pub u8);

    /// The context.
    pub struct Ctx;

    /// A machine using every cell kind.
    #[derive(Machine)]
    #[machine(context = Ctx)]
    pub enum Hygienic {
        /// Start.
        #[initial]
        #[on(Ping => Busy | Other)]
        #[discard(Put<u8>)]
        Idle,
        /// Working.
        #[on(Ask => Idle)]
        #[on(Put<u8>)]
        #[defer(Ping)]
        Busy(Data),
        /// Never left.
        #[terminal]
        Done,
        /// Reached through the multi-target cell; has hooks and a timeout.
        #[on(Ping => Done)]
        #[enter]
        #[exit]
        #[timeout(2s => Idle)]
        Other,
    }

    impl HygienicHandlers for Ctx {
        fn idle_on_ping(&mut self, _: Ping) -> HygienicIdleOnPing {
            HygienicIdleOnPing::Busy(Data(1))
        }
        fn busy_on_ask(&mut self, state: Data, _: Ask) -> u8 {
            state.0
        }
        fn busy_on_put(&mut self, state: &mut Data, message: Put<u8>) {
            state.0 = message.0;
        }
        fn enter_other(&mut self) {}
        fn exit_other(&mut self) {}
    }

    /// A generic machine with a lifetime and a where clause.
    #[derive(Machine)]
    #[machine(context = Ctx)]
    pub enum Generic<'a, T>
    where
        T: 'a,
    {
        /// Start.
        #[initial]
        #[on(Put<&'a T> => Holding)]
        Empty,
        /// Holds a reference.
        #[on(Ping => Empty)]
        Holding(&'a T),
    }

    impl<'a, T: 'a> GenericHandlers<'a, T> for Ctx {
        fn empty_on_put(&mut self, message: Put<&'a T>) -> &'a T {
            message.0
        }
    }

    /// A superstate holding a machine with every cell kind, a timeout and hooks.
    #[derive(Machine)]
    #[machine(context = Ctx, typestate)]
    pub enum Nest {
        /// Holds the inner machine.
        #[initial]
        #[substates(Ping, Ask, Put<u8>)]
        #[on(Ping => Out)]
        #[discard(Put<u8>)]
        #[enter]
        #[exit]
        #[timeout(1s => Out)]
        In(Hygienic),
        /// Outside.
        #[on(Ask => In)]
        Out,
    }

    impl NestHandlers for Ctx {
        fn in_on_ping(&mut self, _: Hygienic, _: Ping) {}
        fn in_on_timeout(&mut self, _: Hygienic, _: lockstep::Timeout) {}
        fn out_on_ask(&mut self, _: Ask) -> (Hygienic, u8) {
            (Hygienic::Idle, 0)
        }
        fn enter_in(&mut self, _: &mut Hygienic) {}
        fn exit_in(&mut self, _: &mut Hygienic) {}
    }

    /// A generic superstate.
    #[derive(Machine)]
    #[machine(context = Ctx)]
    pub enum GenericNest<'a, T>
    where
        T: 'a,
    {
        /// Holds the generic machine.
        #[initial]
        #[substates(Put<&'a T>, Ping)]
        In(Generic<'a, T>),
    }

    impl<'a, T: 'a> GenericNestHandlers<'a, T> for Ctx {}

    /// States named like `Machine`'s associated items: `Self::Input` and `Self::Context` in the
    /// expansion were ambiguous with them (found by `macros/codegen/tests/never_panics.rs`).
    #[derive(Machine)]
    #[machine(context = Ctx)]
    pub enum Shadowing {
        /// Named like `Machine::Context`.
        #[initial]
        #[on(Ping => Input)]
        #[timeout(1s => Input)]
        #[enter]
        Context,
        /// Named like `Machine::Input`.
        #[substates(Ping, Ask, Put<u8>)]
        #[exit]
        Input(Hygienic),
    }

    impl ShadowingHandlers for Ctx {
        fn context_on_ping(&mut self, _: Ping) -> Hygienic {
            Hygienic::Idle
        }
        fn context_on_timeout(&mut self, _: lockstep::Timeout) -> Hygienic {
            Hygienic::Idle
        }
        fn enter_context(&mut self) {}
        fn exit_input(&mut self, _: &mut Hygienic) {}
    }
}

#[test]
fn hygienic_machines_run() {
    use lockstep::Driver;
    use machine::{Ask, Ctx, Hygienic, Ping, Put};

    let mut ctx = Ctx;
    let mut m = Driver::new(Hygienic::Idle);
    m.send(&mut ctx, Ping).unwrap();
    m.send(&mut ctx, Put(9)).unwrap();
    assert_eq!(m.send(&mut ctx, Ask).unwrap(), 9);
    assert_eq!(m.state_name(), "Idle");

    let value = 5;
    let mut g = Driver::new(machine::Generic::<u32>::Empty);
    g.send(&mut ctx, Put(&value)).unwrap();
    assert!(matches!(
        g.machine(),
        core::option::Option::Some(machine::Generic::Holding(5))
    ));

    let mut n = Driver::new(machine::Nest::In(Hygienic::Idle));
    n.send(&mut ctx, Ping).unwrap();
    assert_eq!(n.state_path(), "In/Busy");
    assert_eq!(n.send(&mut ctx, Ask).unwrap(), 1);
    assert_eq!(n.state_path(), "In/Idle");
    let mut shadowing = Driver::new(machine::Shadowing::Context);
    shadowing.start(&mut ctx);
    shadowing.send(&mut ctx, Ping).unwrap();
    assert_eq!(shadowing.state_path(), "Input/Idle");
    shadowing.send(&mut ctx, Ping).unwrap();
    assert_eq!(shadowing.state_path(), "Input/Busy");

    // The terminal substate rejects `Put`; the superstate's own cell discards it.
    let mut done = Driver::new(machine::Nest::In(Hygienic::Done));
    done.send(&mut ctx, Put(1)).unwrap();
    assert_eq!(done.state_path(), "In/Done");
    let mut gn = Driver::new(machine::GenericNest::In(machine::Generic::<u32>::Empty));
    gn.send(&mut ctx, Put(&value)).unwrap();
    assert_eq!(gn.state_path(), "In/Holding");
}
