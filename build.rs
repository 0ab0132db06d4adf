fn main() {
    // The napi link setup is only needed for the Node addon; the pure core builds without it.
    if std::env::var_os("CARGO_FEATURE_NODE").is_some() {
        napi_build::setup();
    }
}
