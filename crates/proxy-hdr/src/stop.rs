//! The parser's one dialect for "not a header (yet)": every step returns the
//! rest of its input and a value, or stops for one of these two reasons.

use crate::Error;

/// Why a parsing step produced no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The input ended before the step could decide: a valid prefix.
    Incomplete,
    /// No amount of further input can make the header valid.
    Invalid(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Invalid(e)
    }
}

/// The result of one step: the unconsumed input and the value.
pub(crate) type Step<'a, T> = Result<(&'a [u8], T), Stop>;

/// Matches a signature at the start of `input`: a strict prefix of it is
/// incomplete, the first byte that differs makes the input not PROXY.
#[inline]
pub(crate) fn signature<'a, const N: usize>(input: &'a [u8], sig: &[u8; N]) -> Step<'a, ()> {
    if let Some((head, rest)) = input.split_first_chunk::<N>() {
        return if head == sig { Ok((rest, ())) } else { Err(Stop::Invalid(Error::NotProxy)) };
    }
    if sig.starts_with(input) { Err(Stop::Incomplete) } else { Err(Stop::Invalid(Error::NotProxy)) }
}
