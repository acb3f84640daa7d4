//! The nom glue: a private error type so nom never appears in the public API.

use crate::Error;

/// nom's error slot, carrying the rule that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fail(pub(crate) Error);

impl<I> nom::error::ParseError<I> for Fail {
    // nom's own combinators only fail on our signature tags, whose mismatch
    // means the bytes are some other protocol.
    fn from_error_kind(_: I, _: nom::error::ErrorKind) -> Self {
        Fail(Error::NotProxy)
    }

    fn append(_: I, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// The result of one streaming step.
pub(crate) type PResult<'a, T> = nom::IResult<&'a [u8], T, Fail>;

/// A hard failure: no amount of further input can make the header valid.
pub(crate) fn fail<T>(e: Error) -> nom::Err<Fail, T> {
    nom::Err::Failure(Fail(e))
}

/// The input ended before the next decision could be made.
pub(crate) fn incomplete<T>() -> nom::Err<Fail, T> {
    nom::Err::Incomplete(nom::Needed::Unknown)
}

/// Matches a signature: a fixed-width compare when all of it is there, nom's
/// streaming `tag` (incomplete on a valid prefix) when it is not.
pub(crate) fn signature<'a, const N: usize>(input: &'a [u8], sig: &[u8; N]) -> PResult<'a, ()> {
    use nom::Parser as _;
    match input.split_first_chunk::<N>() {
        Some((head, rest)) if head == sig => Ok((rest, ())),
        Some(_) => Err(nom::Err::Error(Fail(Error::NotProxy))),
        None => nom::bytes::streaming::tag(&sig[..]).parse(input).map(|(rest, _)| (rest, ())),
    }
}
