//! A token bucket: at most `rate` reviews a second sent to the API server, after a burst
//! of `burst`, whoever asks; the rest are refused at once (429) rather than queued, so
//! junk tokens cannot turn into load on the API server.

use std::sync::Mutex;
use std::time::Instant;

pub struct RateLimit {
    rate: f64,
    burst: f64,
    bucket: Mutex<(f64, Instant)>,
}

impl RateLimit {
    pub fn new(rate: u32, burst: u32) -> Self {
        Self {
            rate: f64::from(rate),
            burst: f64::from(burst),
            bucket: Mutex::new((f64::from(burst), Instant::now())),
        }
    }

    /// Takes one review from the bucket, if one is left.
    pub fn try_take(&self) -> bool {
        let mut bucket = self.bucket.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = *bucket;
        let now = Instant::now();
        let refilled =
            (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.burst);
        if refilled >= 1.0 {
            *bucket = (refilled - 1.0, now);
            true
        } else {
            *bucket = (refilled, now);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_passes_and_the_next_is_refused() {
        let limit = RateLimit::new(1, 3);
        assert!((0..3).all(|_| limit.try_take()));
        assert!(!limit.try_take());
    }
}
