//! What a command can fail with, and the one line each failure prints. The lines are MidoNet's
//! (`Internal error: <server body>`, `User error: '<text>'`, `Missing arguments, incomplete
//! command`), except where MidoNet's CLI would print a Python traceback fragment or a generic
//! "failed to respond": there the line names the URL and the cause.

use midonet_client::ClientError;

use super::json::py_repr_str;

#[derive(Debug, Clone, PartialEq)]
pub enum CliError {
    /// Printed as `Internal error: <text>`: a server refusal (its body verbatim), a missing
    /// key in an answer (`'ports'`), an invalid value.
    Internal(String),
    /// A field that cannot be written: `User error: '<text>'`.
    User(String),
    /// The words stopped before the command was whole (MidoNet's CLI crashes on some of
    /// these; ours says so).
    Incomplete,
    /// 401 from the server: the session ends, as MidoNet's does.
    Unauthorized,
    /// No answer from the server: the URL and the cause.
    Unreachable(String),
}

impl CliError {
    pub fn internal(text: impl Into<String>) -> CliError {
        CliError::Internal(text.into())
    }

    /// Python's `KeyError` text for a key missing from an answer or the root resource.
    pub fn missing_key(key: &str) -> CliError {
        CliError::Internal(py_repr_str(key))
    }

    /// The line printed for this error.
    pub fn line(&self) -> String {
        match self {
            CliError::Internal(text) => format!("Internal error: {text}"),
            CliError::User(text) => format!("User error: {}", py_repr_str(text)),
            CliError::Incomplete => INCOMPLETE.to_string(),
            CliError::Unauthorized => "Invalid credential. Wrong username/password.\nBye.".into(),
            CliError::Unreachable(text) => text.clone(),
        }
    }

    /// Whether the session cannot go on after this error.
    pub fn ends_session(&self) -> bool {
        matches!(self, CliError::Unauthorized)
    }
}

/// MidoNet's line for a command whose words ran out.
pub const INCOMPLETE: &str = "Missing arguments, incomplete command";

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> CliError {
        match &e {
            ClientError::Api { status: 401, .. } => CliError::Unauthorized,
            ClientError::Api { status, .. } => refusal(*status, e.body()),
            ClientError::Unreachable { .. } => CliError::Unreachable(e.to_string()),
            // MidoNet's client reads `resp['location']`; a create without one fails there.
            ClientError::Protocol { problem, .. } if problem.contains("Location") => {
                CliError::missing_key("location")
            }
            _ => CliError::Internal(e.to_string()),
        }
    }
}

/// MidoNet's CLI prints a refusal's body byte for byte; webob stands in its own explanation for
/// an empty body, and a status webob does not know fails on the lookup (`'499'`).
fn refusal(status: u16, body: &str) -> CliError {
    let Some(explanation) = webob_explanation(status) else {
        return CliError::missing_key(&status.to_string());
    };
    if body.is_empty() {
        CliError::Internal(explanation.to_string())
    } else {
        CliError::Internal(body.to_string())
    }
}

/// webob's `explanation` of the error statuses it knows (`webob.exc`).
fn webob_explanation(status: u16) -> Option<&'static str> {
    const MALFORMED: &str = "The server could not comply with the request since it is either \
                             malformed or otherwise incorrect.";
    const ERRED: &str =
        "The server has either erred or is incapable of performing the requested operation.";
    Some(match status {
        400 | 405 | 406 | 415 => MALFORMED,
        401 => {
            "This server could not verify that you are authorized to access the document you \
                requested. Either you supplied the wrong credentials (e.g., bad password), or your \
                browser does not understand how to supply the credentials required."
        }
        402 => "Access was denied for financial reasons.",
        403 => "Access was denied to this resource.",
        404 => "The resource could not be found.",
        407 => "Authentication with a local proxy is needed.",
        408 => "The server has waited too long for the request to be sent by the client.",
        409 => "There was a conflict when trying to complete your request.",
        410 => "This resource is no longer available. No forwarding address is given.",
        411 => "Content-Length header required.",
        412 => "Request precondition failed.",
        413 => "The body of your request was too large for this server.",
        414 => "The request URI was too long for this server.",
        416 => "The Range requested is not available.",
        417 => "Expectation failed.",
        422 => "Unable to process the contained instructions",
        423 => "The resource is locked",
        424 => {
            "The method could not be performed because the requested action dependended on \
                another action and that action failed"
        }
        428 => "This request is required to be conditional",
        429 => "The client has sent too many requests in a given amount of time",
        431 => "The request header fields were too large",
        451 => "The resource is not available due to legal reasons.",
        500 | 501 => ERRED,
        502 => "Bad gateway.",
        503 => "The server is currently unavailable. Please try again at a later time.",
        504 => "The gateway has timed out.",
        505 => "The HTTP version is not supported.",
        507 => "There was not enough space to save the resource",
        511 => "Network authentication is required",
        _ => return None,
    })
}

pub type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_print_the_body_verbatim_or_webobs_explanation() {
        assert_eq!(
            refusal(409, r#"{"message":"Ports are not linkable.","code":409}"#).line(),
            r#"Internal error: {"message":"Ports are not linkable.","code":409}"#
        );
        assert_eq!(
            refusal(404, "").line(),
            "Internal error: The resource could not be found."
        );
        assert_eq!(refusal(499, "x").line(), "Internal error: '499'");
        assert_eq!(
            CliError::User("name is a read-only attribute.".into()).line(),
            "User error: 'name is a read-only attribute.'"
        );
    }
}
