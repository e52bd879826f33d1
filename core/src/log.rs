//! Logging: `tracing`'s `warn!`, `info!`, `debug!` and an entered `debug_span!` with the `tracing` feature (on by default);
//! without it (the web package, where nothing would forward the events anywhere) every call
//! compiles to nothing. The values a call names are then only borrowed, inside a closure that is
//! never called, so no binding goes unused and nothing is evaluated. Call sites use `tracing`'s
//! field syntax (`name = %value`, `?value`, `name`, ..., then the message).

#[cfg(feature = "tracing")]
macro_rules! warn_ {
    ($($event:tt)*) => { ::tracing::warn!($($event)*) };
}
#[cfg(feature = "tracing")]
macro_rules! info_ {
    ($($event:tt)*) => { ::tracing::info!($($event)*) };
}
#[cfg(feature = "tracing")]
macro_rules! debug_ {
    ($($event:tt)*) => { ::tracing::debug!($($event)*) };
}

/// Enters a `debug` span until the end of the enclosing block (`tracing::debug_span!`'s syntax).
#[cfg(feature = "tracing")]
macro_rules! debug_span_ {
    ($($span:tt)*) => {
        let span = ::tracing::debug_span!($($span)*);
        let _entered = span.enter();
    };
}

#[cfg(not(feature = "tracing"))]
macro_rules! warn_ {
    ($($event:tt)*) => { $crate::log::unused!($($event)*) };
}
#[cfg(not(feature = "tracing"))]
macro_rules! info_ {
    ($($event:tt)*) => { $crate::log::unused!($($event)*) };
}
#[cfg(not(feature = "tracing"))]
macro_rules! debug_ {
    ($($event:tt)*) => { $crate::log::unused!($($event)*) };
}

#[cfg(not(feature = "tracing"))]
macro_rules! debug_span_ {
    ($name:literal $(, $($field:tt)*)?) => {
        $crate::log::unused!($($($field)*)?)
    };
}

/// An event that goes nowhere: its values borrowed in a closure that is never called.
#[cfg(not(feature = "tracing"))]
macro_rules! unused {
    ($($event:tt)*) => {{
        let _ = || {
            $crate::log::borrow!($($event)*);
        };
    }};
}

/// Borrows each value of `tracing` fields and of the message's format arguments.
#[cfg(not(feature = "tracing"))]
macro_rules! borrow {
    () => {};
    ($message:literal $(, $argument:expr)* $(,)?) => {
        $(let _ = &$argument;)*
    };
    ($name:ident = % $value:expr $(, $($rest:tt)*)?) => {
        let _ = &$value;
        $crate::log::borrow!($($($rest)*)?);
    };
    ($name:ident = ? $value:expr $(, $($rest:tt)*)?) => {
        let _ = &$value;
        $crate::log::borrow!($($($rest)*)?);
    };
    ($name:ident = $value:expr $(, $($rest:tt)*)?) => {
        let _ = &$value;
        $crate::log::borrow!($($($rest)*)?);
    };
    (% $value:expr $(, $($rest:tt)*)?) => {
        let _ = &$value;
        $crate::log::borrow!($($($rest)*)?);
    };
    (? $value:expr $(, $($rest:tt)*)?) => {
        let _ = &$value;
        $crate::log::borrow!($($($rest)*)?);
    };
    ($name:ident $(, $($rest:tt)*)?) => {
        let _ = &$name;
        $crate::log::borrow!($($($rest)*)?);
    };
}

#[cfg(not(feature = "tracing"))]
pub(crate) use {borrow, unused};
pub(crate) use {debug_ as debug, debug_span_ as debug_span, info_ as info, warn_ as warn};
