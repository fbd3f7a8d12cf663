//! The GNI parser on any text: it answers a checked view or an error naming what is wrong,
//! never panics; and both of its paths (fast and checked) agree on what they accept.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(document) = std::str::from_utf8(data) {
        if let Ok(gni) = translator::gni::parse(document) {
            // A document that parses parses the same again (the parser keeps no state).
            let again = translator::gni::parse(document).expect("parsed once");
            assert_eq!(format!("{gni:?}"), format!("{again:?}"));
        }
    }
});
