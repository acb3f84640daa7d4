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
