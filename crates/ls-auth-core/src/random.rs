//! Randomness behind a small trait: ring's system RNG in production; predictable generators
//! for tests live in [`crate::dangerous`].

use crate::error::{Error, ErrorKind, Result};

/// A source of random bytes for `jti`s and legacy keys.
pub trait SecureRandom: Send + Sync {
    /// Fills `dest` entirely, or fails.
    fn fill(&self, dest: &mut [u8]) -> Result<()>;
}

/// The operating system's CSPRNG, through `ring::rand::SystemRandom`.
#[derive(Debug)]
pub struct SystemRandom(ring::rand::SystemRandom);

impl SystemRandom {
    /// The system RNG.
    pub fn new() -> Self {
        SystemRandom(ring::rand::SystemRandom::new())
    }
}

impl Default for SystemRandom {
    fn default() -> Self {
        Self::new()
    }
}

impl SecureRandom for SystemRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        ring::rand::SecureRandom::fill(&self.0, dest).map_err(|_| {
            Error::with_detail(
                ErrorKind::InvalidArgument,
                "the system random generator failed",
            )
        })
    }
}

/// A UUID4 as 32 lowercase hex characters, the way Python's `uuid4().hex` writes it.
pub(crate) fn uuid4_hex(rng: &dyn SecureRandom) -> Result<String> {
    let mut b = [0u8; 16];
    rng.fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Ok(crate::hex::encode(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid4_has_version_and_variant() {
        let id = uuid4_hex(&SystemRandom::new()).unwrap();
        assert_eq!(id.len(), 32);
        assert!(id
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_eq!(&id[12..13], "4");
        assert!("89ab".contains(&id[16..17]));
    }
}
