#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| baselint_fuzz::streamed_list(data));
