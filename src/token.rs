//! The reader's old module path. Everything here lives in [`crate::reader`]
//! (configuration, decode pipeline, token cache, v4 codec, Bearer); this
//! module re-exports it so `crate::token::…` paths keep working.

pub use crate::reader::{
    bearer_token, decode_v4, encode_v4, Cookies, Outcome, Reader, ReaderOptions, ReaderSet, Rules,
    Step, V4Key, V4_COOKIE, V4_SECURE_COOKIE, V5_COOKIE, V5_SECURE_COOKIE,
};
