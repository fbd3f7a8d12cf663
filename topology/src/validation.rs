//! Reports what is wrong with a resource, property by property, in MidoNet's violation shape.

use std::fmt;

/// One rejected property: `{"<property>": "<message>"}` in MidoNet's error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub property: String,
    pub message: String,
}

/// A resource that failed validation, with every violation found (not just the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    pub violations: Vec<Violation>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.property, v.message))
            .collect();
        write!(f, "{}", parts.join("; "))
    }
}

/// Collects violations while a resource is checked.
#[derive(Debug, Default)]
pub struct Checker {
    violations: Vec<Violation>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation of `property` unless `ok`.
    pub fn require(&mut self, ok: bool, property: &str, message: impl Into<String>) -> &mut Self {
        if !ok {
            self.violations.push(Violation {
                property: property.to_string(),
                message: message.into(),
            });
        }
        self
    }

    pub fn name(&mut self, property: &str, name: Option<&str>, required: bool) -> &mut Self {
        match name {
            None => self.require(!required, property, "may not be null"),
            Some(n) => self.require(
                !(required && n.is_empty()) && n.len() <= 255,
                property,
                "size must be between 1 and 255",
            ),
        }
    }

    pub fn prefix_length(&mut self, property: &str, len: Option<u8>) -> &mut Self {
        self.require(
            len.is_none_or(|l| l <= 32),
            property,
            "must be between 0 and 32",
        )
    }

    pub fn finish(&mut self) -> Result<(), Invalid> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(Invalid {
                violations: std::mem::take(&mut self.violations),
            })
        }
    }
}
