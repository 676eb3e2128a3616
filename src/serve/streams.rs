//! How many event streams (`?watch=true`) are open, overall and per caller: a new one
//! past either cap is refused (429), and a stream's slot is given back when it ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Streams open at once, every caller together.
pub const MAX_STREAMS: usize = 256;
/// Streams open at once by one caller.
pub const MAX_STREAMS_PER_CALLER: usize = 16;

#[derive(Default)]
struct Open {
    total: usize,
    by_caller: HashMap<String, usize>,
}

#[derive(Clone)]
pub struct Streams {
    max: usize,
    per_caller: usize,
    open: Arc<Mutex<Open>>,
}

/// One open stream: its slot is given back when this is dropped.
pub struct Slot {
    caller: String,
    open: Arc<Mutex<Open>>,
}

/// Why a stream was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Full {
    Server(usize),
    Caller(usize),
}

impl Streams {
    pub fn new(max: usize, per_caller: usize) -> Self {
        Self {
            max,
            per_caller,
            open: Arc::default(),
        }
    }

    /// A slot for one more stream of `caller`, if both caps allow it.
    pub fn open(&self, caller: &str) -> Result<Slot, Full> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.total >= self.max {
            return Err(Full::Server(self.max));
        }
        let mine = open.by_caller.entry(caller.to_string()).or_default();
        if *mine >= self.per_caller {
            return Err(Full::Caller(self.per_caller));
        }
        *mine += 1;
        open.total += 1;
        Ok(Slot {
            caller: caller.to_string(),
            open: self.open.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(mine) = open.by_caller.get_mut(&self.caller) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                open.by_caller.remove(&self.caller);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cap_holds_and_a_closed_stream_frees_its_slot() {
        let streams = Streams::new(3, 2);
        let a1 = streams.open("a");
        let _a2 = streams.open("a");
        assert_eq!(streams.open("a").err(), Some(Full::Caller(2)));
        let _b1 = streams.open("b");
        assert_eq!(streams.open("c").err(), Some(Full::Server(3)));
        drop(a1);
        assert!(streams.open("a").is_ok());
    }
}
