//! Rule and condition bodies as a client sends them: any JSON either fails to read or reads
//! into a rule whose validation answers (violations or none) without panicking, and a valid
//! rule survives a round trip through its stored JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use topology::Resource;

fuzz_target!(|data: &[u8]| {
    if let Ok(rule) = serde_json::from_slice::<topology::Rule>(data) {
        if rule.validate().is_ok() {
            let stored = serde_json::to_value(&rule).expect("a rule serializes");
            let back: topology::Rule = serde_json::from_value(stored).expect("and reads back");
            assert!(back.validate().is_ok(), "a valid rule stays valid: {back:?}");
        }
    }
    if let Ok(condition) = serde_json::from_slice::<topology::Condition>(data) {
        let _ = serde_json::to_value(&condition).expect("a condition serializes");
    }
});
