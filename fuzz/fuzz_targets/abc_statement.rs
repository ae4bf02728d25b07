#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| unipay_channel_abc::fuzz::statement(data));
