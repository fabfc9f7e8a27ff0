//! Predictable randomness, for tests and reproducible examples ONLY: anyone who knows the
//! seed (or the bytes) knows every `jti` and legacy key minted with it.
//!
//! This module exists only with the cargo feature `dangerous` (which this workspace's tests
//! enable), so production code cannot reach it by accident.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, ErrorKind, Result};
use crate::random::SecureRandom;

/// A predictable generator (SplitMix64) for tests and reproducible examples only: anyone who
/// knows the seed knows every `jti` and legacy key it makes.
#[derive(Debug)]
pub struct InsecureDeterministicRandom {
    state: AtomicU64,
}

impl InsecureDeterministicRandom {
    /// A generator that always produces the same stream for the same seed.
    pub fn new(seed: u64) -> Self {
        InsecureDeterministicRandom {
            state: AtomicU64::new(seed),
        }
    }

    fn next(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl SecureRandom for InsecureDeterministicRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// Replays fixed bytes, cycling: lets a test mint a token with a chosen `jti` (the 16 bytes
/// of a UUID4 come back as the same UUID4), so our bytes can be compared with a peer's. Never
/// use it to mint real tokens.
#[derive(Debug)]
pub struct InsecureFixedRandom {
    bytes: Vec<u8>,
    pos: std::sync::Mutex<usize>,
}

impl InsecureFixedRandom {
    /// A generator replaying `bytes` forever; empty input is refused.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                "fixed random bytes must not be empty",
            ));
        }
        Ok(InsecureFixedRandom {
            bytes,
            pos: std::sync::Mutex::new(0),
        })
    }

    /// A generator whose next UUID4 is `jti` (32 hex characters of a version-4 UUID).
    pub fn for_jti(jti: &str) -> Result<Self> {
        let bad = || {
            Error::with_detail(
                ErrorKind::InvalidArgument,
                "jti must be 32 lowercase hex characters of a UUID4",
            )
        };
        let bytes = crate::hex::decode(jti)
            .filter(|b| b.len() == 16 && b[6] >> 4 == 4 && b[8] >> 6 == 2)
            .ok_or_else(bad)?;
        Self::new(bytes)
    }
}

impl SecureRandom for InsecureFixedRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        let mut pos = self.pos.lock().unwrap_or_else(|e| e.into_inner());
        for b in dest {
            *b = self.bytes[*pos];
            *pos = (*pos + 1) % self.bytes.len();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::uuid4_hex;

    #[test]
    fn deterministic_is_reproducible() {
        let (a, b) = (
            InsecureDeterministicRandom::new(7),
            InsecureDeterministicRandom::new(7),
        );
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        assert_eq!(x, y);
        a.fill(&mut x).unwrap();
        assert_ne!(x, y);
    }

    #[test]
    fn fixed_random_reproduces_a_jti() {
        let jti = "6f1c0b5e2d3a4c8e9a7b1d2e3f405162";
        let rng = InsecureFixedRandom::for_jti(jti).unwrap();
        assert_eq!(uuid4_hex(&rng).unwrap(), jti);
        assert_eq!(uuid4_hex(&rng).unwrap(), jti);
        assert!(InsecureFixedRandom::for_jti("6f1c0b5e2d3a1c8e9a7b1d2e3f405162").is_err());
        assert!(InsecureFixedRandom::for_jti("xyz").is_err());
    }
}
