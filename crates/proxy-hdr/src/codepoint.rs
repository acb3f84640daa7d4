//! Open enums for one-byte codepoints (smoltcp's `enum_with_unknown!`): the
//! known values by name, every other byte kept as `Unknown(u8)`, so a
//! codepoint this crate does not know is carried, never rejected.

/// Declares an open codepoint enum: its variants and bytes, `From<u8>`,
/// `From<Enum> for u8`, and equality and hashing by byte (so
/// `Unknown(0x01)` equals the named variant for `0x01`).
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $byte:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A codepoint without a name here, carried as it is.
            Unknown(u8),
        }

        impl From<u8> for $name {
            #[inline]
            fn from(byte: u8) -> Self {
                match byte {
                    $( $byte => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for u8 {
            #[inline]
            fn from(kind: $name) -> u8 {
                match kind {
                    $( $name::$variant => $byte, )*
                    $name::Unknown(byte) => byte,
                }
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                u8::from(*self) == u8::from(*other)
            }
        }

        impl core::hash::Hash for $name {
            fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
                u8::from(*self).hash(state);
            }
        }
    };
}

pub(crate) use open_enum;
