#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| unipay_server::fuzz::authorization(data));
