//! Regression tests for what the cargo-fuzz targets in `fuzz/` found (or
//! the properties they check, pinned on inputs from their corpora). Each
//! test is named after the finding; the input is the minimised one.

